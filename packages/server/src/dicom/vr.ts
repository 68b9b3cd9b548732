/**
 * VRs whose explicit-VR element header has 2 reserved bytes and a 32-bit length (PS3.5 7.1.2), and VRs whose
 * values are bytes rather than text or numbers.
 */
export const LONG_HEADER_VRS: ReadonlySet<string> = new Set([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'SV',
  'UC',
  'UN',
  'UR',
  'UT',
  'UV',
]);
export const BINARY_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
