/**
 * Follows the items of encapsulated pixel data (PS3.5 A.4) as bytes stream past, without keeping them, to
 * tell whether the fragment sequence was closed by its delimiter: an object cut short is refused.
 */
export class FragmentWalker {
  /** File offset of the next item header. */
  private nextAt: number;
  private header: number[] = [];
  done = false;
  error: string | undefined;

  constructor(firstItemAt: number) {
    this.nextAt = firstItemAt;
  }

  /** Feeds bytes that start at file offset `startOffset`; bytes before the next header are skipped. */
  feed(bytes: Uint8Array, startOffset: number): void {
    let i = Math.max(0, this.nextAt + this.header.length - startOffset);
    while (!this.done && !this.error && i < bytes.byteLength) {
      this.header.push(bytes[i]!);
      i++;
      if (this.header.length < 8) continue;
      const h = this.header;
      const group = h[0]! | (h[1]! << 8);
      const element = h[2]! | (h[3]! << 8);
      const length = (h[4]! | (h[5]! << 8) | (h[6]! << 16) | (h[7]! << 24)) >>> 0;
      this.header = [];
      if (group === 0xfffe && element === 0xe0dd) {
        this.done = true;
        return;
      }
      if (group !== 0xfffe || element !== 0xe000 || length === 0xffffffff) {
        this.error = `encapsulated pixel data holds something other than a fragment item at offset ${this.nextAt}`;
        return;
      }
      this.nextAt += 8 + length;
      i = this.nextAt - startOffset;
    }
  }
}
