export * from './dataset-reader.ts';
export * from './dataset-writer.ts';
export * from './dicom-json.ts';
export * from './dictionary.ts';
export * from './part10.ts';
export * from './tags.ts';
export * from './transfer-syntax.ts';
