// In a web app served from the same origin as the server (bundled by Vite, webpack, esbuild...:
// the package's `browser` condition gives the build with the IndexedDB store).
import { MessagingClient, openIndexedDbStore } from '@sealed-relay/client';

/**
 * Opens this browser's device for `username`, registering it on first use, and starts receiving.
 * The store is locked to this tab until close(): a second tab gets StoreLockedError.
 */
export async function connect({ username, displayName = username, onMessage }) {
  const url = new URL('/graphql', location.href).href;
  const store = await openIndexedDbStore({ name: `chat-${username}` });
  const restored = (await store.getCredentials()) !== null;
  const client = restored
    ? await MessagingClient.open({ url, store })
    : await MessagingClient.register({ url, store }, { username, displayName });
  client.events.on('message', onMessage);
  await client.start();
  return {
    client,
    restored, // true when the device came back from the store (a reload), false when it was just registered
    async close() {
      await client.stop();
      await store.close();
    },
  };
}
