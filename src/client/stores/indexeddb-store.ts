/**
 * Browser-only: a ClientStore kept in IndexedDB (over `idb`), so a web app's device survives reloads. One
 * database per store name with one object store of byte values under KeyValueClientStore's keys; every
 * write is its own transaction with `durability: 'strict'` (committed to disk before it resolves), because
 * a ratchet step that is lost in a crash after its message left would make the device reuse message keys.
 *
 * One tab at a time. KeyValueClientStore caches records in memory and the protocol advances a session by
 * read-modify-write, so two tabs running the same device would each advance their own copy of a ratchet
 * and overwrite each other. The store therefore holds an exclusive Web Lock (`navigator.locks`, one per
 * store name, shared by every tab and worker of the origin) from open until `close()`; the browser also
 * releases it when the holding tab closes, reloads or crashes. A second `openIndexedDbStore()` of the same
 * name, in another tab or the same one, fails at once with StoreLockedError (the app can say "open in
 * another tab"), or with `{ wait: true }` waits until the holder lets go (abortable with `signal`).
 */
import { deleteDB, type IDBPDatabase, openDB } from 'idb';
import { ClientError } from '../errors.js';
import { KeyValueClientStore } from './kv-store.js';
import type { KeyValueBackend } from './types.js';

export const DEFAULT_STORE_NAME = 'sealed-relay';
const OBJECT_STORE = 'kv';
const SCHEMA_VERSION = 1;
const LOCK_PREFIX = 'sealed-relay-store:';
/** Above every printable ASCII character: the upper bound of a prefix range (keys are printable ASCII). */
const KEY_RANGE_END = '\uffff';

export interface IndexedDbStoreOptions {
  /** Database name (default 'sealed-relay'); one per device the app keeps. */
  name?: string;
  /** Wait for another tab to release the store instead of failing with StoreLockedError. */
  wait?: boolean;
  /** Gives up waiting (only with `wait`); the open then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Another tab (or another open store in this tab) runs this device: close it there first. */
export class StoreLockedError extends ClientError {
  constructor(readonly storeName: string) {
    super('StoreLocked', `the store "${storeName}" is open in another tab or window`);
  }
}

/** The browser lacks what the store needs: IndexedDB, or Web Locks (which require https or localhost). */
export class StoreUnavailableError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('StoreUnavailable', message, options);
  }
}

export class IndexedDbBackend implements KeyValueBackend {
  constructor(private readonly db: IDBPDatabase) {}

  async get(key: string): Promise<Uint8Array | null> {
    const v = (await this.db.get(OBJECT_STORE, key)) as Uint8Array | undefined;
    return v ?? null;
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    const tx = this.db.transaction(OBJECT_STORE, 'readwrite', { durability: 'strict' });
    // a copy: structured clone of a view would store the whole underlying buffer
    await Promise.all([tx.store.put(value.slice(), key), tx.done]);
  }

  async delete(key: string): Promise<void> {
    const tx = this.db.transaction(OBJECT_STORE, 'readwrite', { durability: 'strict' });
    await Promise.all([tx.store.delete(key), tx.done]);
  }

  async keys(prefix: string): Promise<string[]> {
    return (await this.db.getAllKeys(OBJECT_STORE, IDBKeyRange.bound(prefix, prefix + KEY_RANGE_END))) as string[];
  }

  close(): void {
    this.db.close();
  }
}

/** A ClientStore in IndexedDB that owns its device until `close()`; see openIndexedDbStore. */
export class IndexedDbClientStore extends KeyValueClientStore {
  private closed = false;

  constructor(
    readonly name: string,
    private readonly backend: IndexedDbBackend,
    private readonly releaseLock: () => Promise<void>,
  ) {
    super(backend);
  }

  /** Closes the database and releases the lock; resolves once another tab can open the store. Stop the client first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.backend.close();
    await this.releaseLock();
  }
}

/**
 * Opens (creating if needed) the IndexedDB store `name` and takes its lock. Rejects with StoreLockedError
 * when another tab holds it (unless `wait`), StoreUnavailableError without IndexedDB or Web Locks.
 */
export async function openIndexedDbStore(options: IndexedDbStoreOptions = {}): Promise<IndexedDbClientStore> {
  const name = options.name ?? DEFAULT_STORE_NAME;
  if (!globalThis.indexedDB) throw new StoreUnavailableError('IndexedDB is not available in this environment');
  const release = await lock(name, options);
  try {
    const db = await openDB(name, SCHEMA_VERSION, {
      upgrade(upgrading) {
        if (!upgrading.objectStoreNames.contains(OBJECT_STORE)) upgrading.createObjectStore(OBJECT_STORE);
      },
    });
    return new IndexedDbClientStore(name, new IndexedDbBackend(db), release);
  } catch (err) {
    await release();
    throw err instanceof ClientError ? err : new StoreUnavailableError(`could not open IndexedDB database "${name}": ${(err as Error).message}`, { cause: err });
  }
}

/** Deletes a store's database (sign-out, or a device that was removed). Fails with StoreLockedError while it is open. */
export async function deleteIndexedDbStore(name = DEFAULT_STORE_NAME): Promise<void> {
  const release = await lock(name, {});
  try {
    await deleteDB(name);
  } finally {
    await release();
  }
}

/**
 * Takes the store's exclusive Web Lock; resolves once it is held, with a function that lets it go and
 * resolves when the lock manager has released it (so a reopen right after close() gets it).
 */
function lock(name: string, options: IndexedDbStoreOptions): Promise<() => Promise<void>> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) throw new StoreUnavailableError('Web Locks (navigator.locks) are not available: serve the app over https or from localhost');
  return new Promise((resolve, reject) => {
    let letGo!: () => void;
    const held = new Promise<void>((r) => (letGo = r));
    const how: LockOptions = options.wait ? { mode: 'exclusive', signal: options.signal } : { mode: 'exclusive', ifAvailable: true };
    const request = locks.request(LOCK_PREFIX + name, how, async (granted) => {
      if (!granted) {
        reject(new StoreLockedError(name));
        return;
      }
      resolve(async () => {
        letGo();
        await request;
      });
      await held; // the lock is held until this callback's promise settles
    });
    request.catch(reject);
  });
}
