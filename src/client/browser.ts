/**
 * Browser entry point (the package's `browser` condition): everything in ./index.ts, plus the IndexedDB
 * store. Browsers bring fetch, WebSocket and WebCrypto, so no options beyond `url` and `store` are needed.
 */
export * from './index.js';
export {
  DEFAULT_STORE_NAME,
  deleteIndexedDbStore,
  IndexedDbBackend,
  IndexedDbClientStore,
  type IndexedDbStoreOptions,
  openIndexedDbStore,
  StoreLockedError,
  StoreUnavailableError,
} from './stores/indexeddb-store.js';
