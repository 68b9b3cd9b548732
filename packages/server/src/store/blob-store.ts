import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, close as fsClose, open as fsOpen, read as fsRead } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Where DICOM files live. The filesystem implementation is the default; a shared object store for
 * several nodes implements the same interface.
 */
export interface BlobStore {
  /** Starts writing a new object; nothing is visible until `commit(key)`. */
  begin(): Promise<BlobWriter>;
  read(key: string, range?: { start: number; end?: number }): Readable;
  /**
   * Optional: the object open for positional reads, for the small exact reads of frame retrieval (a frame
   * header, a native frame), where a stream per read costs more than the read. Without it, callers fall back
   * to `read`. Close it when done.
   */
  openRandomAccess?(key: string): Promise<BlobRandomAccess>;
  size(key: string): Promise<number>;
  remove(key: string): Promise<void>;
}

/** An object open for positional reads. */
export interface BlobRandomAccess {
  /** Reads `length` bytes at `position` into `target` at `offset`; resolves to the bytes read (fewer only at the end). */
  readInto(position: number, target: Buffer, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}

export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>;
  readonly bytesWritten: number;
  /** Flushes to stable storage (fsync), then makes the object visible under `key`, durably. */
  commit(key: string): Promise<void>;
  /** Throws the partial object away; safe to call more than once or after a failed commit. */
  abort(): Promise<void>;
}

/** A key that spreads objects over folders by study and series, so a series' files share one folder. */
export function blobKeyFor(studyUid: string, seriesUid: string, sopInstanceUid: string): string {
  const h = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 16);
  // The random suffix keeps two concurrent stores of the same instance from writing one file.
  return `${h(studyUid)}/${h(seriesUid)}/${h(sopInstanceUid)}-${randomBytes(4).toString('hex')}.dcm`;
}

export class FileBlobStore implements BlobStore {
  private readonly root: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.root = root;
    this.tmpDir = join(root, '.incoming');
  }

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    // Partial files from a crash are never referenced by the index: clear them.
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  pathOf(key: string): string {
    if (key.includes('..') || key.startsWith('/')) throw new Error(`invalid blob key "${key}"`);
    return join(this.root, key);
  }

  async begin(): Promise<BlobWriter> {
    const tmp = join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const handle = await open(tmp, 'wx');
    return new FileBlobWriter(handle, tmp, (key) => this.pathOf(key));
  }

  read(key: string, range?: { start: number; end?: number }): Readable {
    return createReadStream(this.pathOf(key), {
      start: range?.start,
      end: range?.end,
      highWaterMark: 256 * 1024,
    });
  }

  async openRandomAccess(key: string): Promise<BlobRandomAccess> {
    // A plain descriptor and the callback calls: a FileHandle costs more than the reads of one frame.
    const fd = await new Promise<number>((resolve, reject) =>
      fsOpen(this.pathOf(key), 'r', (err, fd) => (err ? reject(err) : resolve(fd))),
    );
    const readAt = (position: number, target: Buffer, offset: number, length: number) =>
      new Promise<number>((resolve, reject) =>
        fsRead(fd, target, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))),
      );
    let closed: Promise<void> | undefined;
    return {
      async readInto(position, target, offset, length) {
        let n = 0;
        while (n < length) {
          const got = await readAt(position + n, target, offset + n, length - n);
          if (got === 0) break;
          n += got;
        }
        return n;
      },
      close: () => {
        closed ??= new Promise<void>((resolve, reject) =>
          fsClose(fd, (err) => (err ? reject(err) : resolve())),
        );
        return closed;
      },
    };
  }

  async size(key: string): Promise<number> {
    return (await stat(this.pathOf(key))).size;
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}

const syncedDirs = new Set<string>();

class FileBlobWriter implements BlobWriter {
  bytesWritten = 0;
  private done = false;
  private readonly handle: FileHandle;
  private readonly tmp: string;
  private readonly resolve: (key: string) => string;

  constructor(handle: FileHandle, tmp: string, resolve: (key: string) => string) {
    this.handle = handle;
    this.tmp = tmp;
    this.resolve = resolve;
  }

  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const { bytesWritten } = await this.handle.write(chunk, offset, chunk.byteLength - offset);
      offset += bytesWritten;
    }
    this.bytesWritten += chunk.byteLength;
  }

  async commit(key: string): Promise<void> {
    const target = this.resolve(key);
    await this.handle.datasync();
    await this.handle.close();
    this.done = true;
    const dir = dirname(target);
    if (!syncedDirs.has(dir)) {
      // mkdir returns the first folder it made. The parent of every new folder is flushed, up to the root when
      // the study's folder is new too: else a crash could lose a new study's folder, and the series folder and
      // file under it, that the index already names.
      const created = await mkdir(dir, { recursive: true });
      const top = dirname(created ?? dir);
      for (let d = dirname(dir); ; d = dirname(d)) {
        await fsyncDir(d);
        if (d === top || d === dirname(d)) break;
      }
      syncedDirs.add(dir);
    }
    await rename(this.tmp, target);
    // The rename is durable only once its directory is flushed.
    await fsyncDir(dir);
  }

  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.handle.close().catch(() => {});
    }
    await rm(this.tmp, { force: true });
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
