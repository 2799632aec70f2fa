/**
 * Node-only: a ClientStore kept in a folder, one file per key (protocol records as their serialized
 * bytes, client state as JSON). Every write goes to a unique temporary file that is fsynced and then
 * renamed over the target, so a crash leaves either the old or the new value, never a torn one.
 * Keys map to file names with '/' turned into '@' (keys contain only [A-Za-z0-9_.~/-]).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyValueClientStore } from './kv-store.js';
import type { KeyValueBackend } from './types.js';

export class FileBackend implements KeyValueBackend {
  private ready: Promise<void>;
  /** Writes to one key are applied in call order. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {
    this.ready = mkdir(dir, { recursive: true }).then(() => {});
  }

  private file(key: string) {
    if (!/^[A-Za-z0-9_.~/-]+$/.test(key)) throw new Error(`bad store key ${JSON.stringify(key)}`);
    return join(this.dir, key.replaceAll('/', '@'));
  }

  private enqueue(key: string, op: () => Promise<void>): Promise<void> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(op, op);
    const settled = next.catch(() => {});
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  async get(key: string): Promise<Uint8Array | null> {
    await this.ready;
    await this.queues.get(key);
    try {
      return new Uint8Array(await readFile(this.file(key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    await this.ready;
    const target = this.file(key);
    return this.enqueue(key, async () => {
      const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(value);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, target);
    });
  }

  async delete(key: string): Promise<void> {
    await this.ready;
    const target = this.file(key);
    return this.enqueue(key, () => rm(target, { force: true }));
  }

  async keys(prefix: string): Promise<string[]> {
    await this.ready;
    await Promise.all(this.queues.values());
    const filePrefix = prefix.replaceAll('/', '@');
    return (await readdir(this.dir))
      .filter((f) => f.startsWith(filePrefix) && !f.endsWith('.tmp'))
      .map((f) => f.replaceAll('@', '/'));
  }
}

/** A persistent ClientStore in `dir` (created if missing). Reopen the same folder after a restart. */
export function createFileStore(dir: string): KeyValueClientStore {
  return new KeyValueClientStore(new FileBackend(dir));
}
