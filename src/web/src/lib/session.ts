/**
 * This browser's device: which account it holds (the IndexedDB store's name, kept in localStorage: no key
 * or message ever goes there), registering a new user, linking to an existing account by link code, and
 * reopening the device after a reload. The store's Web Lock keeps one device in one tab: a second tab is
 * told so (StoreLocked) and may take over once the first lets go.
 */
import {
  deleteIndexedDbStore,
  type IndexedDbClientStore,
  isClientError,
  MessagingClient,
  openIndexedDbStore,
} from '@sealed-relay/client';

const ACCOUNT_KEY = 'sealed-relay.store';

export interface Session {
  client: MessagingClient;
  store: IndexedDbClientStore;
  close(): Promise<void>;
}

export const graphqlUrl = () => new URL('/graphql', location.href).href;

function opts(store: IndexedDbClientStore) {
  return { url: graphqlUrl(), store };
}

function session(client: MessagingClient, store: IndexedDbClientStore): Session {
  return {
    client,
    store,
    async close() {
      await client.stop();
      await store.close();
    },
  };
}

/** The name of the store this browser's device lives in, if there is one. */
export function savedStore(): string | null {
  return localStorage.getItem(ACCOUNT_KEY);
}

/** Reopens this browser's device (after a reload); null when there is none. Throws StoreLocked if another tab has it. */
export async function resume(wait = false): Promise<Session | null> {
  const name = savedStore();
  if (!name) return null;
  const store = await openIndexedDbStore({ name, wait });
  if (!(await store.getCredentials())) {
    await store.close();
    localStorage.removeItem(ACCOUNT_KEY);
    return null;
  }
  return session(await MessagingClient.open(opts(store)), store);
}

async function fresh<T extends MessagingClient>(create: (store: IndexedDbClientStore) => Promise<T>): Promise<Session> {
  const name = `sealed-relay-${crypto.randomUUID()}`;
  const store = await openIndexedDbStore({ name });
  try {
    const client = await create(store);
    localStorage.setItem(ACCOUNT_KEY, name);
    return session(client, store);
  } catch (e) {
    await store.close();
    await deleteIndexedDbStore(name);
    throw e;
  }
}

export function register(username: string, displayName: string): Promise<Session> {
  return fresh((store) => MessagingClient.register(opts(store), { username, displayName, deviceName: deviceName() }));
}

export function link(code: string, name = deviceName()): Promise<Session> {
  return fresh((store) => MessagingClient.link(opts(store), code, name));
}

/** Removes this device from the account and deletes everything it stored in this browser. */
export async function signOut(s: Session): Promise<void> {
  const name = savedStore();
  await s.client.removeDevice(s.client.credentials.deviceUuid).catch(() => {});
  await s.close();
  if (name) await deleteIndexedDbStore(name);
  localStorage.removeItem(ACCOUNT_KEY);
}

/** A readable name for this device in the device list. */
export function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

/** A message for an error the user can act on (never content: errors carry ids and codes only). */
export function describeError(e: unknown): string {
  if (isClientError(e, 'StoreLocked')) return 'This account is open in another tab.';
  if (isClientError(e, 'Network')) return 'The server cannot be reached. Check the connection and try again.';
  if (isClientError(e, 'RateLimited')) return 'Too many requests: wait a moment and try again.';
  if (isClientError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}
