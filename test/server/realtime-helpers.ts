/** Helpers for tests of live delivery: conversations, sends and subscription collectors. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { gql, type Registered } from './harness.js';

export async function directConversation(url: string, a: Registered, b: Registered): Promise<string> {
  const r = await gql(
    url,
    `mutation($u: ID!) { createDirectConversation(userId: $u) { __typename ... on Conversation { id } ... on Error { code message } } }`,
    { u: b.userId },
    a.token,
  );
  if (r.data?.createDirectConversation?.__typename !== 'Conversation') throw new Error(JSON.stringify(r));
  return r.data.createDirectConversation.id;
}

/** Accepts a conversation for `who` (a stranger's conversation is a message request: no presence, typing or receipts). */
export async function acceptConversation(url: string, who: Registered, conversationId: string): Promise<void> {
  const r = await gql(url, `mutation($c: ID!) { respondToMessageRequest(conversationId: $c, action: ACCEPT) { __typename } }`, { c: conversationId }, who.token);
  if (r.data?.respondToMessageRequest?.__typename !== 'MessageRequestResponse') throw new Error(JSON.stringify(r));
}

export const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) {
  __typename ... on Message { id } ... on Error { code message } } }`;

/** Sends one fake-ciphertext envelope to each given device (the server cannot tell). */
export async function send(url: string, from: Registered, conversationId: string, toDevices: string[], tag = ''): Promise<string> {
  const r = await gql(
    url,
    SEND,
    {
      input: {
        conversationId,
        clientMessageId: randomUUID(),
        contentType: 'TEXT',
        envelopes: toDevices.map((d) => ({ deviceId: d, type: 2, ciphertext: Buffer.concat([Buffer.from(tag), randomBytes(16)]).toString('base64') })),
      },
    },
    from.token,
  );
  if (r.data?.sendMessage?.__typename !== 'Message') throw new Error(JSON.stringify(r));
  return r.data.sendMessage.id;
}

export const INBOX = `subscription { inbox { __typename
  ... on Envelope { id messageId senderUserId type ciphertext }
  ... on InboxEnded { reason } } }`;

export interface Collector<T> {
  items: T[];
  done: Promise<void>;
  error?: unknown;
  /** Resolves once `pred` holds over the items (polls), or rejects after `ms`. */
  until(pred: (items: T[]) => boolean, ms?: number): Promise<T[]>;
  stop(): void;
}

export function collect<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Collector<T> {
  const items: T[] = [];
  let unsubscribe = () => {};
  const c: Collector<T> = {
    items,
    done: new Promise<void>((resolve) => {
      unsubscribe = client.subscribe<any>(
        { query, variables },
        {
          next: (v) => {
            if (v.errors) c.error = v.errors;
            const data = v.data && Object.values(v.data)[0];
            if (data) items.push(data as T);
          },
          error: (e) => {
            c.error = e;
            resolve();
          },
          complete: () => resolve(),
        },
      );
    }),
    async until(pred, ms = 10_000) {
      const end = Date.now() + ms;
      while (!pred(items)) {
        if (Date.now() > end) throw new Error(`timed out; have ${items.length}: ${JSON.stringify(items.slice(-3))} error=${JSON.stringify(c.error)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return items;
    },
    stop: () => unsubscribe(),
  };
  return c;
}

export const ACK = `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename ... on AcknowledgeResult { acknowledged } } }`;
