/** Helpers for client tests: real server (test/server/harness.ts), real clients over real sockets. */
import WebSocket from 'ws';
import { MessagingClient, type MessagingClientOptions } from '../../src/client/index.js';
import { createMemoryStore } from '../../src/client/stores/memory-store.js';
import type { StoredMessage } from '../../src/client/stores/types.js';
import { uniqueName } from '../server/harness.js';

export type ClientOpts = Partial<MessagingClientOptions> & { url: string };

export function clientOptions(o: ClientOpts): MessagingClientOptions {
  return { webSocketImpl: WebSocket, store: createMemoryStore(), maxRetryDelayMs: 500, ...o };
}

export async function registerClient(o: ClientOpts, name = uniqueName()): Promise<MessagingClient> {
  return MessagingClient.register(clientOptions(o), { username: name, displayName: name.toUpperCase() });
}

/** Resolves once `client` holds `n` messages in the conversation (or rejects after `ms`). */
export async function waitForMessages(client: MessagingClient, conversationId: string, n: number, ms = 30_000): Promise<StoredMessage[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const list = (await client.messages(conversationId)).filter((m) => !m.outgoing || m.senderDeviceId !== client.deviceId);
    if (list.length >= n) return list;
    if (Date.now() > deadline) throw new Error(`timed out: ${list.length}/${n} messages on ${client.credentials.username}.${client.deviceId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function until(cond: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Messages received from others (not the device's own sent copies). */
export const received = (list: StoredMessage[], self: MessagingClient) => list.filter((m) => !(m.senderUserId === self.userId && m.senderDeviceId === self.deviceId));
