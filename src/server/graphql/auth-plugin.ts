/**
 * Every operation runs as an authenticated device, except the few root mutations that create or prove
 * credentials (and introspection, which only reveals the public schema). Applied on HTTP, SSE and
 * graphql-ws alike because graphql-ws operations are built through yoga's envelop.
 */
import { type DocumentNode, getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { PUBLIC_ROOT_FIELDS } from '../accounts/accounts.graphql.js';
import type { Context } from './context.js';
import { unauthenticated } from './errors.js';

function anonymousAllowed(document: DocumentNode, operationName?: string | null): boolean {
  const op = getOperationAST(document, operationName ?? undefined);
  if (!op) return false;
  return op.selectionSet.selections.every(
    (s) => s.kind === Kind.FIELD && (s.name.value.startsWith('__') || (op.operation === 'mutation' && PUBLIC_ROOT_FIELDS.has(s.name.value))),
  );
}

function enforce(args: { document: DocumentNode; operationName?: string | null; contextValue: unknown }): void {
  const ctx = args.contextValue as Context;
  if (ctx.auth) {
    if (ctx.auth.exp * 1000 <= Date.now()) throw unauthenticated('access token expired');
    return;
  }
  if (!anonymousAllowed(args.document, args.operationName)) throw unauthenticated();
}

export function authPlugin(): Plugin {
  return {
    onExecute: ({ args }) => enforce(args),
    onSubscribe: ({ args }) => enforce(args),
  };
}
