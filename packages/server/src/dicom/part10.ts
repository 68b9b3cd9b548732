import { DicomParseError, readDataset } from './dataset-reader.ts';
import { encodeDataset } from './dataset-writer.ts';
import { type DicomJsonDataset, firstString } from './dicom-json.ts';
import { Tag } from './tags.ts';
import { TransferSyntax } from './transfer-syntax.ts';
import { LONG_HEADER_VRS } from './vr.ts';

/** Confer's implementation class UID (PS3.7 D.3.3.2) under the UUID-derived root 2.25. */
export const IMPLEMENTATION_CLASS_UID = '2.25.262791736148257913346598143236540147817';
export const IMPLEMENTATION_VERSION_NAME = 'CONFER_010';

export interface Part10Header {
  meta: DicomJsonDataset;
  transferSyntaxUid: string;
  sopClassUid: string | undefined;
  sopInstanceUid: string | undefined;
  /** Where the data set starts: after the preamble, "DICM" and the file meta group. */
  datasetOffset: number;
}

/**
 * Reads the preamble and file meta information (PS3.10 7.1). The meta group is always explicit VR
 * little endian. Throws DicomParseError (truncated=true when more bytes would help).
 */
export function readPart10Header(bytes: Uint8Array): Part10Header {
  if (bytes.byteLength < 132) {
    throw new DicomParseError('not a DICOM file: shorter than the 128-byte preamble and "DICM"', 0, true);
  }
  if (bytes[128] !== 0x44 || bytes[129] !== 0x49 || bytes[130] !== 0x43 || bytes[131] !== 0x4d) {
    throw new DicomParseError('not a DICOM Part 10 file: no "DICM" prefix at offset 128 (PS3.10 7.1)', 128);
  }
  // Read group 0002 elements one at a time: the group length is optional in practice.
  let end = 132;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (end + 8 <= bytes.byteLength && view.getUint16(end, true) === 0x0002) {
    const vr = String.fromCharCode(bytes[end + 4]!, bytes[end + 5]!);
    if (LONG_HEADER_VRS.has(vr)) {
      if (end + 12 > bytes.byteLength) throw new DicomParseError('file meta is truncated', end, true);
      end += 12 + view.getUint32(end + 8, true);
    } else {
      end += 8 + view.getUint16(end + 6, true);
    }
  }
  if (end > bytes.byteLength || end + 8 > bytes.byteLength) {
    throw new DicomParseError('file meta is truncated', end, true);
  }
  const meta = readDataset(bytes.subarray(132, end), TransferSyntax.ExplicitVRLittleEndian).dataset;
  const transferSyntaxUid = firstString(meta, Tag.TransferSyntaxUID);
  if (!transferSyntaxUid) {
    throw new DicomParseError('file meta has no Transfer Syntax UID (0002,0010)', 132);
  }
  return {
    meta,
    transferSyntaxUid,
    sopClassUid: firstString(meta, Tag.MediaStorageSOPClassUID),
    sopInstanceUid: firstString(meta, Tag.MediaStorageSOPInstanceUID),
    datasetOffset: end,
  };
}

export interface FileMetaInput {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAeTitle?: string;
}

/** Preamble, "DICM" and the file meta group for a data set received over the network. */
export function buildPart10Header(input: FileMetaInput): Buffer {
  const meta: DicomJsonDataset = {
    [Tag.FileMetaInformationVersion]: { vr: 'OB', InlineBinary: Buffer.from([0, 1]).toString('base64') },
    [Tag.MediaStorageSOPClassUID]: { vr: 'UI', Value: [input.sopClassUid] },
    [Tag.MediaStorageSOPInstanceUID]: { vr: 'UI', Value: [input.sopInstanceUid] },
    [Tag.TransferSyntaxUID]: { vr: 'UI', Value: [input.transferSyntaxUid] },
    [Tag.ImplementationClassUID]: { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] },
    [Tag.ImplementationVersionName]: { vr: 'SH', Value: [IMPLEMENTATION_VERSION_NAME] },
  };
  if (input.sourceAeTitle)
    meta[Tag.SourceApplicationEntityTitle] = { vr: 'AE', Value: [input.sourceAeTitle] };
  const body = encodeDataset(meta, TransferSyntax.ExplicitVRLittleEndian);
  const groupLength = encodeDataset(
    { [Tag.FileMetaInformationGroupLength]: { vr: 'UL', Value: [body.byteLength] } },
    TransferSyntax.ExplicitVRLittleEndian,
  );
  const out = Buffer.alloc(132 + groupLength.byteLength + body.byteLength);
  out.write('DICM', 128, 'latin1');
  groupLength.copy(out, 132);
  body.copy(out, 132 + groupLength.byteLength);
  return out;
}
