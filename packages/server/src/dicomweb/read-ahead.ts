/**
 * A bounded read-ahead window between one request stream and the stores consuming its parts. A STOW-RS
 * body is one stream, but its instances can be written to disk concurrently: the request is read ahead
 * into per-part queues while earlier parts are still being written and fsynced, up to a byte budget
 * shared by the whole request. A part larger than the budget simply streams with backpressure, so memory
 * stays bounded whatever the instance sizes.
 */

/** Bytes held across all queues of one request; `reserve` waits while the window is full. */
export class ByteBudget {
  private used = 0;
  private readonly limit: number;
  private waiters: (() => void)[] = [];

  constructor(limitBytes: number) {
    this.limit = limitBytes;
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Resolves once there is room; one chunk may overshoot the limit so a huge chunk cannot block forever. */
  async reserve(bytes: number): Promise<void> {
    while (this.used > 0 && this.used + bytes > this.limit) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used -= bytes;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * The queued bytes of one part, read by one consumer. Each read hands over everything queued, up to
 * `maxChunkBytes`, in one piece: fewer, larger writes for the consumer.
 */
export class PartQueue implements AsyncIterable<Uint8Array> {
  private readonly budget: ByteBudget;
  private readonly maxChunkBytes: number;
  private chunks: Uint8Array[] = [];
  private queued = 0;
  private ended = false;
  private abandoned = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(budget: ByteBudget, maxChunkBytes: number) {
    this.budget = budget;
    this.maxChunkBytes = maxChunkBytes;
  }

  /** Queues a chunk once the window has room; dropped if the consumer has gone. */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.abandoned) return;
    await this.budget.reserve(chunk.byteLength);
    if (this.abandoned) {
      this.budget.release(chunk.byteLength);
      return;
    }
    this.chunks.push(chunk);
    this.queued += chunk.byteLength;
    this.notify();
  }

  /** No more bytes: the part ended at its boundary. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The part could not be read to its end; the consumer's next read throws this. */
  fail(err: Error): void {
    this.error = err;
    this.notify();
  }

  /** The consumer stopped (its store settled): drop what is queued and what comes. */
  abandon(): void {
    this.abandoned = true;
    this.budget.release(this.queued);
    this.chunks = [];
    this.queued = 0;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.chunks.length > 0) {
        let take = 0;
        let bytes = 0;
        while (
          take < this.chunks.length &&
          (take === 0 || bytes + this.chunks[take]!.byteLength <= this.maxChunkBytes)
        ) {
          bytes += this.chunks[take]!.byteLength;
          take++;
        }
        const parts = this.chunks.splice(0, take);
        this.queued -= bytes;
        this.budget.release(bytes);
        yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
        continue;
      }
      if (this.error) throw this.error;
      if (this.ended || this.abandoned) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
