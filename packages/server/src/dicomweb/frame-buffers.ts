/**
 * Reusable memory for frame responses. A viewer asks for hundreds of 0.3-0.5 MiB frames a second; a fresh
 * buffer for each is external memory V8 must account for, and it answers the growth with full garbage
 * collections (15-25% of Confer's CPU while a series loads). Here a frame's response is built in memory taken
 * from this pool and given back once the response has been handed to the operating system, so a series
 * loads on the same few buffers.
 *
 * The rule that keeps it safe: memory is given back only after the response that used it finished (Node's
 * 'finish': every byte written to the socket); never after an aborted one, which the garbage collector takes.
 * Callers send exact views of what they wrote, never the stale bytes around them.
 */

/** Capacities are multiples of this, so frames of one series (a few sizes) share buffers. */
const GRAIN_BYTES = 64 * 1024;
/** Larger requests get memory of their own, not pooled. */
const MAX_POOLED_BYTES = 4 * 1024 * 1024;

export class FrameBufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private freeBytes = 0;
  private readonly maxFreeBytes: number;
  /** The memory this pool handed out and has not had back: only that may be given back. */
  private readonly lent = new WeakSet<ArrayBuffer>();

  constructor(maxFreeBytes = 32 * 1024 * 1024) {
    this.maxFreeBytes = maxFreeBytes;
  }

  /** Bytes held for reuse. */
  get idleBytes(): number {
    return this.freeBytes;
  }

  /**
   * A buffer of exactly `size` bytes (contents unspecified) at the start of memory of its own, never shared
   * with another buffer: writing around a view into it is safe.
   */
  take(size: number): Buffer {
    const capacity = Math.ceil(Math.max(1, size) / GRAIN_BYTES) * GRAIN_BYTES;
    let memory = capacity <= MAX_POOLED_BYTES ? this.free.get(capacity)?.pop() : undefined;
    if (memory) this.freeBytes -= capacity;
    else memory = new ArrayBuffer(capacity);
    this.lent.add(memory);
    return Buffer.from(memory, 0, size);
  }

  /** Gives back the memory under `buffer` (a buffer from `take`, or any view into it) once it is unused. */
  give(buffer: Buffer): void {
    const memory = buffer.buffer;
    if (!(memory instanceof ArrayBuffer) || !this.lent.has(memory)) return;
    this.lent.delete(memory);
    const capacity = memory.byteLength;
    if (capacity > MAX_POOLED_BYTES || this.freeBytes + capacity > this.maxFreeBytes) return;
    const list = this.free.get(capacity) ?? [];
    list.push(memory);
    this.free.set(capacity, list);
    this.freeBytes += capacity;
  }

  /** True when `buffer` is a view into memory this pool lent and has not had back. */
  owns(buffer: Buffer): boolean {
    return buffer.buffer instanceof ArrayBuffer && this.lent.has(buffer.buffer);
  }
}
