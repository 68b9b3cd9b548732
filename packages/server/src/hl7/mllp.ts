/**
 * MLLP (HL7 v2 Minimal Lower Layer Protocol, release 2): each message travels as
 * <VT 0x0B> message bytes <FS 0x1C><CR 0x0D>. TCP delivers bytes in arbitrary chunks, so the decoder keeps
 * what it has until a whole frame is there, including a frame end split between two chunks.
 */
export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

/** Frames one message (sent as UTF-8, as MSH-18 "UNICODE UTF-8" says). */
export function frameMessage(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  const out = Buffer.allocUnsafe(body.length + 3);
  out[0] = MLLP_START;
  body.copy(out, 1);
  out[body.length + 1] = MLLP_END;
  out[body.length + 2] = MLLP_CR;
  return out;
}

export class MllpFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MllpFrameError';
  }
}

/** Reassembles frames from a byte stream. Bytes outside a frame (line noise, keep-alives) are skipped. */
export class MllpDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly maxFrameBytes: number;

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 16 * 1024 * 1024;
  }

  /** Adds a chunk; returns every message it completed, in order. */
  push(chunk: Uint8Array): string[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const out: string[] = [];
    for (;;) {
      const start = this.buffer.indexOf(MLLP_START);
      if (start < 0) {
        this.buffer = Buffer.alloc(0);
        return out;
      }
      if (start > 0) this.buffer = this.buffer.subarray(start);
      let end = -1;
      for (let from = 1; ; ) {
        const i = this.buffer.indexOf(MLLP_END, from);
        if (i < 0 || i + 1 >= this.buffer.length) break;
        if (this.buffer[i + 1] === MLLP_CR) {
          end = i;
          break;
        }
        from = i + 1;
      }
      if (end < 0) {
        if (this.buffer.length > this.maxFrameBytes)
          throw new MllpFrameError(`an MLLP frame exceeded ${this.maxFrameBytes} bytes without its end`);
        return out;
      }
      out.push(this.buffer.subarray(1, end).toString('utf8'));
      this.buffer = this.buffer.subarray(end + 2);
    }
  }

  /** Bytes received of a frame not yet complete. */
  get pendingBytes(): number {
    return this.buffer.length;
  }
}
