/** Root types, scalars, the `Error` interface and the shared error types. */
import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.js';
import {
  DeviceLimitError,
  DomainError,
  ForbiddenError,
  InvalidCredentialsError,
  InvalidInputError,
  InvalidKeyError,
  InvalidLinkCodeError,
  NotFoundError,
  RateLimitedError,
  UsernameTakenError,
} from './errors.js';

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

builder.scalarType('DateTime', {
  description: 'An ISO-8601 timestamp with time zone.',
  serialize: (v) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString()),
  parseValue: (v) => {
    const d = typeof v === 'string' ? new Date(v) : null;
    if (!d || Number.isNaN(d.getTime())) throw new GraphQLError('DateTime: expected an ISO-8601 string');
    return d;
  },
});

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function parseBytes(v: unknown): Uint8Array {
  if (typeof v !== 'string' || !BASE64.test(v)) throw new GraphQLError('Bytes: expected a standard base64 string');
  return new Uint8Array(Buffer.from(v, 'base64'));
}

builder.scalarType('Bytes', {
  description: 'Binary data as standard (padded) base64.',
  serialize: (v) => Buffer.from(v).toString('base64'),
  parseValue: parseBytes,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('Bytes: expected a base64 string');
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
builder.objectType(UsernameTakenError, {
  ...errorOptions(UsernameTakenError, 'UsernameTakenError', 'The username is taken (compared case-insensitively).'),
  fields: (t) => ({ username: t.exposeString('username') }),
});
builder.objectType(DeviceLimitError, {
  ...errorOptions(DeviceLimitError, 'DeviceLimitError', 'The user already has the maximum number of devices.'),
  fields: (t) => ({ max: t.exposeInt('max') }),
});
builder.objectType(InvalidCredentialsError, {
  ...errorOptions(InvalidCredentialsError, 'InvalidCredentialsError', 'Unknown device or wrong device secret.'),
  fields: () => ({}),
});
builder.objectType(InvalidLinkCodeError, {
  ...errorOptions(InvalidLinkCodeError, 'InvalidLinkCodeError', 'The link code is unknown, already used or expired.'),
  fields: () => ({}),
});
builder.objectType(RateLimitedError, {
  ...errorOptions(RateLimitedError, 'RateLimitedError', 'Too many requests; retry after `retryAfterSeconds`.'),
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds') }),
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
