/** In-memory ClientStore: for tests and clients that need no persistence. Works in browsers. */
import { KeyValueClientStore } from './kv-store.js';
import type { KeyValueBackend } from './types.js';

export class MemoryBackend implements KeyValueBackend {
  private readonly map = new Map<string, Uint8Array>();
  async get(key: string) {
    const v = this.map.get(key);
    return v ? v.slice() : null;
  }
  async set(key: string, value: Uint8Array) {
    this.map.set(key, value.slice());
  }
  async delete(key: string) {
    this.map.delete(key);
  }
  async keys(prefix: string) {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix));
  }
}

export function createMemoryStore(): KeyValueClientStore {
  return new KeyValueClientStore(new MemoryBackend());
}
