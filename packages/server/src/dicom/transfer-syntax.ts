/** Transfer syntax UIDs (PS3.6 Annex A) and how each one is encoded on the wire. */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  EncapsulatedUncompressedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.98',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  HTJ2KLossless: '1.2.840.10008.1.2.4.201',
  HTJ2KLosslessRPCL: '1.2.840.10008.1.2.4.202',
  HTJ2K: '1.2.840.10008.1.2.4.203',
  MPEG2MPML: '1.2.840.10008.1.2.4.100',
  MPEG4HP41: '1.2.840.10008.1.2.4.102',
  HEVCMP51: '1.2.840.10008.1.2.4.107',
  RLELossless: '1.2.840.10008.1.2.5',
} as const;

export interface TransferSyntaxEncoding {
  explicitVr: boolean;
  littleEndian: boolean;
  deflated: boolean;
}

const implicitLE: TransferSyntaxEncoding = { explicitVr: false, littleEndian: true, deflated: false };
const explicitLE: TransferSyntaxEncoding = { explicitVr: true, littleEndian: true, deflated: false };

/**
 * How a transfer syntax encodes the data set. Every syntax not listed explicitly is an encapsulated
 * (compressed) one, which PS3.5 A.4 defines as explicit VR little endian for everything but pixel data.
 * Returns undefined for a string that is not a UID at all.
 */
export function encodingOf(transferSyntaxUid: string): TransferSyntaxEncoding | undefined {
  if (!/^[0-9]+(\.[0-9]+)*$/.test(transferSyntaxUid)) return undefined;
  switch (transferSyntaxUid) {
    case TransferSyntax.ImplicitVRLittleEndian:
      return implicitLE;
    case TransferSyntax.ExplicitVRBigEndian:
      return { explicitVr: true, littleEndian: false, deflated: false };
    case TransferSyntax.DeflatedExplicitVRLittleEndian:
      return { explicitVr: true, littleEndian: true, deflated: true };
    default:
      return explicitLE;
  }
}

/** True for the syntaxes this archive knows and will accept on an association or in STOW-RS. */
export function isKnownTransferSyntax(uid: string): boolean {
  return (
    (Object.values(TransferSyntax) as string[]).includes(uid) || /^1\.2\.840\.10008\.1\.2\.4\.\d+$/.test(uid)
  );
}
