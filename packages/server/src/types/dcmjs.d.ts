// dcmjs ships no type declarations; Confer uses only its data dictionary (src/dicom/dictionary.ts).
declare module 'dcmjs' {
  const dcmjs: unknown;
  export default dcmjs;
}
