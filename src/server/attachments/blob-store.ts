/**
 * Opaque blob storage for encrypted attachments. The server only ever sees ciphertext; a blob is written
 * once, read many times, deleted when no live message refers to it any more.
 *
 * The interface streams in both directions (nothing is buffered whole), so an S3-compatible store fits it:
 * put = a (multipart) PutObject of the stream, get = GetObject's body stream + ContentLength, delete =
 * DeleteObject (idempotent there too).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface BlobStore {
  /**
   * Stores every byte of `body` under a new id. Resolves when the blob is durably stored; if `body` errors
   * (or is destroyed), rejects and nothing is left behind.
   */
  put(body: Readable, opts?: { contentLength?: number }): Promise<{ id: string; size: number }>;
  /** The blob's bytes as a stream with its size, or null if there is no such blob. */
  get(id: string): Promise<{ body: Readable; size: number } | null>;
  /** Deletes the blob. Deleting a blob that does not exist is not an error. */
  delete(id: string): Promise<void>;
  /**
   * Housekeeping after crashes: deletes incomplete writes older than `olderThanMs` and returns the ids of
   * complete blobs older than that (the caller deletes those no database row knows).
   */
  sweep?(olderThanMs: number): Promise<{ incompleteDeleted: number; stored: string[] }>;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Blobs as files under a local directory (BLOB_DIR, default DATA_DIR/blobs): `<dir>/<first 2 hex>/<id>`.
 * Writes go to `<dir>/tmp/<id>.part` and are renamed into place when complete, so a reader never sees a
 * partial blob and a crash leaves only a `.part` file behind.
 */
export class LocalDirBlobStore implements BlobStore {
  private ready: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  private path(id: string): string | null {
    if (!ID.test(id)) return null; // ids never reach the file system unchecked
    return join(this.dir, id.slice(0, 2), id);
  }

  private init(): Promise<void> {
    this.ready ??= mkdir(join(this.dir, 'tmp'), { recursive: true }).then(() => undefined);
    return this.ready;
  }

  async put(body: Readable): Promise<{ id: string; size: number }> {
    await this.init();
    const id = randomUUID();
    const tmp = join(this.dir, 'tmp', `${id}.part`);
    const final = this.path(id)!;
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
      await mkdir(join(this.dir, id.slice(0, 2)), { recursive: true });
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { id, size: (await stat(final)).size };
  }

  async get(id: string): Promise<{ body: Readable; size: number } | null> {
    const p = this.path(id);
    if (!p) return null;
    try {
      const st = await stat(p);
      return { body: createReadStream(p), size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    const p = this.path(id);
    if (p) await rm(p, { force: true });
  }

  async sweep(olderThanMs: number): Promise<{ incompleteDeleted: number; stored: string[] }> {
    await this.init();
    const cutoff = Date.now() - olderThanMs;
    let incompleteDeleted = 0;
    // a kill -9 during an upload leaves its .part file behind
    for (const f of await readdir(join(this.dir, 'tmp'))) {
      const p = join(this.dir, 'tmp', f);
      const st = await stat(p).catch(() => null);
      if (st && st.mtimeMs < cutoff) {
        await rm(p, { force: true });
        incompleteDeleted++;
      }
    }
    const stored: string[] = [];
    for (const d of await readdir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue;
      for (const f of await readdir(join(this.dir, d)).catch(() => [] as string[])) {
        if (!ID.test(f)) continue;
        const st = await stat(join(this.dir, d, f)).catch(() => null);
        if (st && st.mtimeMs < cutoff) stored.push(f);
      }
    }
    return { incompleteDeleted, stored };
  }
}
