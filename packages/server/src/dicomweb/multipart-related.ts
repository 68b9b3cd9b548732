import { randomUUID } from 'node:crypto';
import { type MediaType, parseMediaType } from './media-type.ts';

/**
 * multipart/related (RFC 2387) with RFC 2046 framing, read as a stream. A STOW-RS body can hold gigabytes of
 * instances, so each part's body is handed on as it arrives: at most one network chunk plus a boundary's
 * length is held, and the next chunk is read only when the part's consumer asks for it (backpressure).
 */

export const MultipartErrorKind = {
  /** The body ended before the close delimiter: the part being read is incomplete. */
  Truncated: 'truncated',
  /** No opening boundary, a part header block that never ends, or bytes after a boundary that are not CRLF. */
  Malformed: 'malformed',
  /** More bytes than the configured limit. */
  TooLarge: 'too-large',
} as const;
export type MultipartErrorKind = (typeof MultipartErrorKind)[keyof typeof MultipartErrorKind];

/** A multipart body Confer cannot read on; `kind` says whether it was cut off, malformed or too large. */
export class MultipartError extends Error {
  readonly kind: MultipartErrorKind;
  constructor(kind: MultipartErrorKind, message: string) {
    super(message);
    this.name = 'MultipartError';
    this.kind = kind;
  }
}

export interface MultipartPart {
  /** 1-based position in the body, for messages a person reads. */
  number: number;
  /** Header fields, names lower-cased. */
  headers: Record<string, string>;
  /** The part's Content-Type, or undefined when absent or unreadable. */
  contentType: MediaType | undefined;
  /** The part's bytes as they arrive; read it once. Throws MultipartError when the body is cut off. */
  body: AsyncIterable<Uint8Array>;
  /** Settles when the body has been read up to its closing boundary (rejects as the body would). */
  finished: Promise<void>;
}

/** What one request may make the reader hold or read. */
export interface MultipartLimits {
  /** Largest header block of one part. */
  maxHeaderBytes: number;
  /** Largest whole body; more is refused with MultipartError TooLarge. */
  maxBodyBytes: number;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary parameter of a multipart Content-Type, checked against RFC 2046 5.1.1 (1-70 characters). */
export function boundaryOf(contentType: MediaType): string | undefined {
  const b = contentType.params.get('boundary');
  if (!b || b.length > 70 || !/^[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]$/.test(b))
    return undefined;
  return b;
}

/**
 * Reads the parts of a multipart body one after another. `nextPart()` skips whatever the previous part's
 * consumer left unread, so a consumer may stop early. Nothing is buffered beyond the current chunk.
 */
export class MultipartReader {
  private readonly source: AsyncIterator<Uint8Array>;
  private readonly delimiter: Buffer;
  private readonly limits: MultipartLimits;
  /** Unprocessed bytes. Starts with a CRLF so a body that opens with "--boundary" matches "\r\n--boundary". */
  private buf: Buffer = Buffer.from(CRLF);
  private state: 'preamble' | 'after-delimiter' | 'body' | 'end' = 'preamble';
  private partNumber = 0;
  private bytesRead = 0;
  private failure: Error | undefined;
  private finishPart: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(source: AsyncIterable<Uint8Array>, boundary: string, limits: MultipartLimits) {
    this.source = source[Symbol.asyncIterator]();
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.limits = limits;
  }

  /** Total bytes taken from the source so far. */
  get totalBytes(): number {
    return this.bytesRead;
  }

  /** The next part, or undefined after the close delimiter. Throws MultipartError or the source's error. */
  async nextPart(): Promise<MultipartPart | undefined> {
    if (this.failure) throw this.failure;
    if (this.state === 'body') await this.skipBody();
    if (this.state === 'end') return undefined;
    if (this.state === 'preamble') {
      // RFC 2046 5.1.1: anything before the first delimiter is a preamble, to be ignored.
      for (;;) {
        const at = this.buf.indexOf(this.delimiter);
        if (at >= 0) {
          this.buf = this.buf.subarray(at + this.delimiter.length);
          break;
        }
        this.keepTail();
        if (!(await this.fill())) {
          throw this.fail(
            new MultipartError(
              MultipartErrorKind.Malformed,
              'the body holds no multipart boundary: it must start with "--" and the boundary from Content-Type',
            ),
          );
        }
      }
      this.state = 'after-delimiter';
    }
    // After a delimiter: "--" closes the body; otherwise optional transport padding, CRLF, then the headers.
    while (this.buf.length < 2) {
      if (!(await this.fill())) throw this.fail(this.truncated('after a boundary'));
    }
    if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
      this.state = 'end';
      await this.drain();
      return undefined;
    }
    for (;;) {
      let i = 0;
      while (i < this.buf.length && (this.buf[i] === 0x20 || this.buf[i] === 0x09)) i++;
      if (i + 2 <= this.buf.length) {
        if (this.buf[i] !== 0x0d || this.buf[i + 1] !== 0x0a) {
          throw this.fail(
            new MultipartError(MultipartErrorKind.Malformed, 'a multipart boundary is not followed by CRLF'),
          );
        }
        this.buf = this.buf.subarray(i + 2);
        break;
      }
      if (i > 1024)
        throw this.fail(new MultipartError(MultipartErrorKind.Malformed, 'a boundary line is too long'));
      if (!(await this.fill())) throw this.fail(this.truncated('after a boundary'));
    }
    const headers = await this.readHeaders();
    this.partNumber++;
    this.state = 'body';
    const number = this.partNumber;
    const finished = new Promise<void>((resolve, reject) => {
      this.finishPart = { resolve, reject };
    });
    // Consumers that never look at `finished` must not cause an unhandled rejection.
    finished.catch(() => {});
    const ct = headers['content-type'];
    return {
      number,
      headers,
      contentType: ct === undefined ? undefined : parseMediaType(ct),
      body: this.bodyOf(number),
      finished,
    };
  }

  private bodyOf(number: number): AsyncIterable<Uint8Array> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<Uint8Array>> => {
          if (number !== this.partNumber) return { done: true, value: undefined };
          const chunk = await this.readBodyChunk();
          return chunk === undefined ? { done: true, value: undefined } : { done: false, value: chunk };
        },
        // Stopping early leaves the rest to nextPart(), which skips it.
        return: async (): Promise<IteratorResult<Uint8Array>> => ({ done: true, value: undefined }),
      }),
    };
  }

  /** The next slice of the current part's body, or undefined at its end. */
  private async readBodyChunk(): Promise<Uint8Array | undefined> {
    if (this.failure) throw this.failure;
    for (;;) {
      if (this.state !== 'body') return undefined;
      const at = this.buf.indexOf(this.delimiter);
      if (at >= 0) {
        const chunk = this.buf.subarray(0, at);
        this.buf = this.buf.subarray(at + this.delimiter.length);
        this.state = 'after-delimiter';
        this.finishPart?.resolve();
        this.finishPart = undefined;
        if (chunk.length > 0) return chunk;
        return undefined;
      }
      // Hold back what could be the start of a delimiter split across chunks.
      const safe = this.buf.length - (this.delimiter.length - 1);
      if (safe > 0) {
        const chunk = this.buf.subarray(0, safe);
        this.buf = this.buf.subarray(safe);
        return chunk;
      }
      // Only a short tail is left. Rather than copying the next chunk behind it, hand the tail on when
      // no delimiter can start inside it, and carry on in the new chunk as it is.
      const tail = this.buf;
      if (!(await this.fill(tail.length > 0))) {
        throw this.fail(this.truncated(`inside part ${this.partNumber}`));
      }
      if (this.pendingChunk) {
        const chunk = this.pendingChunk;
        this.pendingChunk = undefined;
        // A delimiter starting inside the tail ends within the chunk's first (length - 1) bytes.
        const at =
          chunk.length >= this.delimiter.length - 1
            ? Buffer.concat([tail, chunk.subarray(0, this.delimiter.length - 1)]).indexOf(this.delimiter)
            : 0;
        if (at < 0 || at >= tail.length) {
          this.buf = chunk;
          if (tail.length > 0) return tail;
          continue;
        }
        this.buf = Buffer.concat([tail, chunk]);
      }
    }
  }

  private async skipBody(): Promise<void> {
    while ((await this.readBodyChunk()) !== undefined) {}
  }

  private async readHeaders(): Promise<Record<string, string>> {
    const headers: Record<string, string> = {};
    let block: string;
    for (;;) {
      // No headers at all: the header block is just the empty line.
      if (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) {
        this.buf = this.buf.subarray(2);
        return headers;
      }
      const at = this.buf.indexOf(HEADER_END);
      if (at >= 0) {
        block = this.buf.subarray(0, at).toString('latin1');
        this.buf = this.buf.subarray(at + HEADER_END.length);
        break;
      }
      if (this.buf.length > this.limits.maxHeaderBytes) {
        throw this.fail(
          new MultipartError(
            MultipartErrorKind.Malformed,
            `the header block of part ${this.partNumber + 1} is longer than ${this.limits.maxHeaderBytes} bytes`,
          ),
        );
      }
      if (!(await this.fill()))
        throw this.fail(this.truncated(`in the headers of part ${this.partNumber + 1}`));
    }
    // RFC 5322 2.2.3: a line starting with white space continues the previous field.
    for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return headers;
  }

  /** Keeps only the bytes that could begin a delimiter split across chunks. */
  private keepTail(): void {
    const keep = this.delimiter.length - 1;
    if (this.buf.length > keep) this.buf = this.buf.subarray(this.buf.length - keep);
  }

  /** Set by fill(true): the next chunk, not yet joined to `buf`. */
  private pendingChunk: Buffer | undefined;

  /** Appends the next source chunk (or, with `hold`, leaves it in pendingChunk); false at the source's end. */
  private async fill(hold = false): Promise<boolean> {
    let r: IteratorResult<Uint8Array>;
    try {
      r = await this.source.next();
    } catch (err) {
      throw this.fail(err as Error);
    }
    if (r.done) return false;
    const chunk = r.value;
    this.bytesRead += chunk.byteLength;
    if (this.bytesRead > this.limits.maxBodyBytes) {
      throw this.fail(
        new MultipartError(
          MultipartErrorKind.TooLarge,
          `the request body is larger than the ${this.limits.maxBodyBytes}-byte limit (CONFER_HTTP_BODY_LIMIT_BYTES)`,
        ),
      );
    }
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (hold) this.pendingChunk = bytes;
    else this.buf = this.buf.length === 0 ? bytes : Buffer.concat([this.buf, bytes]);
    return true;
  }

  /** Reads and discards the epilogue, so the request is consumed and the connection can be reused. */
  private async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (await this.fill()) this.buf = Buffer.alloc(0);
  }

  private truncated(where: string): MultipartError {
    return new MultipartError(
      MultipartErrorKind.Truncated,
      `the request body ended ${where}, before the closing boundary: the body was cut off`,
    );
  }

  private fail(err: Error): Error {
    this.failure ??= err;
    this.state = 'end';
    this.finishPart?.reject(err);
    this.finishPart = undefined;
    return err;
  }
}

/** A boundary for multipart responses: random, so it cannot occur in the parts (RFC 2046 5.1.1). */
export function newBoundary(): string {
  // randomUUID draws from a buffered pool: ~100x cheaper than randomBytes per frame response.
  return `confer-${randomUUID().replaceAll('-', '')}`;
}

/** The bytes that open a part: the delimiter line and the part's header fields (RFC 2046 5.1.1). */
export function partHeader(boundary: string, headers: Record<string, string>, first: boolean): Buffer {
  let s = first ? `--${boundary}\r\n` : `\r\n--${boundary}\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return Buffer.from(`${s}\r\n`, 'latin1');
}

/** The close delimiter that ends a multipart body. */
export function closeDelimiter(boundary: string, afterPart: boolean): Buffer {
  return Buffer.from(`${afterPart ? '\r\n' : ''}--${boundary}--\r\n`, 'latin1');
}
