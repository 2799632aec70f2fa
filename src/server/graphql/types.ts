/** Root types, scalars, the `Error` interface and the error types of the shared kernel. */
import { GraphQLError, Kind } from 'graphql';
import { ServerBusyError } from '../kernel/bounded.js';
import { rememberBase64 } from '../kernel/bytes.js';
import {
  type DomainError,
  ForbiddenError,
  InvalidInputError,
  InvalidKeyError,
  LimitExceededError,
  NotFoundError,
  RateLimitedError,
} from '../kernel/errors.js';
import { builder } from './builder.js';

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

builder.scalarType('DateTime', {
  description: 'An ISO-8601 timestamp with time zone.',
  // a string is an ISO-8601 time this server produced (e.g. carried on an event): sent as it is
  serialize: (v) => (v instanceof Date ? v.toISOString() : ISO_UTC.test(v) ? v : new Date(v).toISOString()),
  parseValue: (v) => {
    const d = typeof v === 'string' ? new Date(v) : null;
    if (!d || Number.isNaN(d.getTime())) throw new GraphQLError('DateTime: expected an ISO-8601 string');
    return d;
  },
});

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function parseBytes(v: unknown): Uint8Array {
  if (typeof v !== 'string' || !BASE64.test(v)) throw new GraphQLError('Bytes: expected a standard base64 string', { extensions: { code: 'INVALID_INPUT' } });
  const b = Buffer.from(v, 'base64');
  return rememberBase64(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), v);
}

builder.scalarType('Bytes', {
  description: 'Binary data as standard (padded) base64.',
  // a string is base64 already (kernel/bytes.ts Base64: a ciphertext relayed as it came)
  serialize: (v) => (typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')),
  parseValue: parseBytes,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('Bytes: expected a base64 string', { extensions: { code: 'INVALID_INPUT' } });
    return parseBytes(ast.value);
  },
});

export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'An expected failure. `code` is stable and meant for programs; `message` is for people.',
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
  }),
});

/** The options every error object type shares: it implements `Error` and is recognised by class. */
export function errorOptions(cls: abstract new (...args: never[]) => DomainError, name: string, description: string) {
  return { name, description, interfaces: [ErrorInterface], isTypeOf: (v: unknown) => v instanceof cls };
}

builder.objectType(InvalidInputError, {
  ...errorOptions(InvalidInputError, 'InvalidInputError', 'An argument is malformed; `field` names it.'),
  fields: (t) => ({ field: t.exposeString('field') }),
});
builder.objectType(InvalidKeyError, {
  ...errorOptions(InvalidKeyError, 'InvalidKeyError', 'A public key has the wrong length or type byte; `field` names it.'),
  fields: (t) => ({ field: t.exposeString('field') }),
});
builder.objectType(NotFoundError, {
  ...errorOptions(NotFoundError, 'NotFoundError', 'The resource does not exist (or is not visible to the caller).'),
  fields: (t) => ({ resource: t.exposeString('resource'), id: t.exposeString('id') }),
});
builder.objectType(ForbiddenError, {
  ...errorOptions(ForbiddenError, 'ForbiddenError', 'The caller may not act on this resource.'),
  fields: () => ({}),
});
builder.objectType(RateLimitedError, {
  ...errorOptions(RateLimitedError, 'RateLimitedError', 'Too many requests; retry after `retryAfterSeconds`.'),
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds') }),
});

builder.objectType(ServerBusyError, {
  ...errorOptions(ServerBusyError, 'ServerBusyError', 'Too many slow operations (credential checks) at once on this server; retry after `retryAfterSeconds`.'),
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds') }),
});
builder.objectType(LimitExceededError, {
  ...errorOptions(LimitExceededError, 'LimitExceededError', 'A size or count limit was exceeded; nothing was stored.'),
  fields: (t) => ({ field: t.exposeString('field'), max: t.exposeInt('max'), actual: t.exposeInt('actual') }),
});

/** Page info for cursor pagination. */
export interface PageInfoShape {
  endCursor: string | null;
  hasNextPage: boolean;
}
export const PageInfo = builder.objectRef<PageInfoShape>('PageInfo').implement({
  fields: (t) => ({
    endCursor: t.exposeString('endCursor', { nullable: true }),
    hasNextPage: t.exposeBoolean('hasNextPage'),
  }),
});
