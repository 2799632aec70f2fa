/**
 * Node entry point: everything in ./index.ts, plus the file store and a `ws`-backed default for the
 * WebSocket implementation (Node 20 has no global WebSocket).
 */
import WebSocket from 'ws';
import { MessagingClient, type MessagingClientOptions, type RegisterOptions } from './messaging-client.js';

export * from './index.js';
export { createFileStore, FileBackend } from './stores/file-store.js';

type NodeOptions = Omit<MessagingClientOptions, 'webSocketImpl'> & { webSocketImpl?: unknown };
const withWs = (o: NodeOptions): MessagingClientOptions => ({ webSocketImpl: WebSocket, ...o });

export const registerNodeClient = (o: NodeOptions, r: RegisterOptions) => MessagingClient.register(withWs(o), r);
export const linkNodeClient = (o: NodeOptions, code: string, name?: string) => MessagingClient.link(withWs(o), code, name);
export const openNodeClient = (o: NodeOptions) => MessagingClient.open(withWs(o));
