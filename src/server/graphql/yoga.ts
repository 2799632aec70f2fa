/**
 * The GraphQL server over HTTP and SSE (graphql-yoga): the schema, the envelop plugins that apply on every
 * transport (graphql-armor limits, authentication, metrics), error masking and the per-operation context.
 * graphql-ws operations run through the same envelop (graphql/ws.ts), so these apply there too.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { createYoga, maskError, type YogaServerInstance } from 'graphql-yoga';
import { clientAddress } from '../http/client-address.js';
import type { AuthDevice } from '../kernel/auth.js';
import type { Services } from '../services.js';
import { authPlugin } from './auth-plugin.js';
import { resolvedErrorListeners } from './builder.js';
import { compiledHotOperations } from './compiled.js';
import type { Context } from './context.js';
import { domainErrorOf, domainGraphQLError, unauthenticated } from './errors.js';
import { createLoaders } from './loaders.js';
import { schema } from './schema.js';

/** What a transport gives the context: the HTTP request, or a graphql-ws socket's device and client address (taken at connect). */
export type ServerContext = { req?: IncomingMessage; wsAuth?: AuthDevice; wsAddress?: string };
export type GraphQLServer = YogaServerInstance<ServerContext, Context>;

export const BEARER = /^Bearer\s+(\S+)$/i;

/** Introspection (GraphiQL's own query is 12 levels deep) may go this deep; every other operation GRAPHQL_MAX_DEPTH. */
const MAX_INTROSPECTION_DEPTH = 15;

/** Gives a graphql-armor refusal its stable code (and HTTP 400): armor's own errors carry none. */
function refusedWith(code: string) {
  return {
    propagateOnRejection: true,
    onReject: [
      (_ctx: unknown, error: GraphQLError) => {
        const ext = error.extensions as Record<string, unknown>;
        ext.code = code;
        ext.http = { status: 400 };
      },
    ],
  };
}

/** A refusal before any field ran (no path: the request's variables were refused) is a 400 with a stable code. */
function asRequestRefusal(error: GraphQLError): GraphQLError {
  const ext = error.extensions as { code?: unknown; http?: unknown };
  if (ext.code !== undefined && ext.http !== undefined) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...ext, code: ext.code ?? 'BAD_USER_INPUT', http: ext.http ?? { status: 400 } } });
}

/**
 * How an error leaves an operation (yoga's maskedErrors, and graphql-ws's compiled operations in ws.ts): a
 * DomainError as its typed GraphQL error, a refusal of the request itself as a 400 with a stable code (also
 * where graphql-js gives it none), anything unexpected logged and masked.
 */
export function maskOperationError(log: Services['log']): (error: unknown, message: string, isDev?: boolean) => Error {
  return (error, message, isDev) => {
    const at = error instanceof GraphQLError ? error : undefined;
    const domain = domainErrorOf(error);
    if (domain) {
      const mapped = domainGraphQLError(domain, at);
      return at && !at.path ? asRequestRefusal(mapped) : mapped;
    }
    if (at && !at.path && (!at.originalError || at.originalError instanceof GraphQLError)) return asRequestRefusal(at);
    if (!at || (at.originalError && !(at.originalError instanceof GraphQLError))) {
      log.error({ err: at?.originalError ?? error }, 'unexpected error');
    }
    return maskError(error, message, isDev);
  };
}

/** The context of an operation on an authenticated graphql-ws socket. */
export function wsContext(services: Services, auth: AuthDevice, clientAddress: string, requestId: string = randomUUID()): Context {
  return { requestId, auth, externalSubject: null, services, loaders: createLoaders(services), clientAddress, transport: 'ws' };
}

export function createGraphQLServer(services: Services): GraphQLServer & { dispose(): void } {
  const { config, log, metrics } = services;
  const countResolved = (error: Error) => metrics.errors.inc({ code: (error as { code?: string }).code ?? error.name });
  resolvedErrorListeners.add(countResolved);
  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    batching: false,
    multipart: false,
    logging: {
      debug: (...a) => log.debug({ args: a.map(String) }, 'yoga'),
      info: (...a) => log.info({ args: a.map(String) }, 'yoga'),
      warn: (...a) => log.warn({ args: a.map(String) }, 'yoga'),
      error: (...a) => log.error({ err: a[0] }, 'yoga'),
    },
    // yoga's page loads GraphiQL from a CDN: the explorer (http/explorer.ts) serves its own instead
    graphiql: false,
    // same origin only, unless CORS_ORIGINS lists the browser origins allowed to call the API
    cors: (request) => {
      const origin = request.headers.get('origin');
      return origin && config.corsOrigins.includes(origin)
        ? { origin: [origin], credentials: false, methods: ['GET', 'POST'], allowedHeaders: ['content-type', 'authorization', 'accept'], maxAge: 600 }
        : false;
    },
    maskedErrors: { maskError: maskOperationError(log) },
    context: async (init): Promise<Context> => {
      const requestId = init.request?.headers.get('x-request-id') ?? randomUUID();
      if (init.wsAuth) return wsContext(services, init.wsAuth, init.wsAddress ?? '', requestId);
      const loaders = createLoaders(services);
      const address = clientAddress(init.req, config.trustProxyHops);
      const header = init.request.headers.get('authorization');
      let auth: AuthDevice | null = null;
      let externalSubject: string | null = null;
      if (header) {
        const m = BEARER.exec(header);
        if (!m) throw unauthenticated('malformed Authorization header: expected "Bearer <token>"');
        auth = await services.accounts.authenticate(m[1]);
        if (!auth) {
          externalSubject = await services.tokens.verifyExternal(m[1]);
          if (!externalSubject) throw unauthenticated('invalid, expired or revoked token');
        }
      }
      return { requestId, auth, externalSubject, services, loaders, clientAddress: address, transport: 'http' };
    },
    plugins: [
      EnvelopArmorPlugin({
        // fragments do not add depth (the SDK's own operations use fragments freely)
        maxDepth: { n: config.maxDepth, flattenFragments: true, ...refusedWith('DEPTH_LIMIT_EXCEEDED') },
        costLimit: { maxCost: config.maxCost, ...refusedWith('COST_LIMIT_EXCEEDED') },
        maxAliases: { n: config.maxAliases, ...refusedWith('ALIASES_LIMIT_EXCEEDED') },
        maxTokens: { n: config.maxTokens, ...refusedWith('TOKEN_LIMIT_EXCEEDED') },
        maxDirectives: { n: 20, ...refusedWith('DIRECTIVES_LIMIT_EXCEEDED') },
        blockFieldSuggestion: { enabled: true },
      }),
      {
        // introspection is not exempt from a depth limit, only given a larger one
        onValidate: ({ addValidationRule }: { addValidationRule: (rule: never) => void }) => {
          addValidationRule(
            maxDepthRule({ n: MAX_INTROSPECTION_DEPTH, flattenFragments: true, ignoreIntrospection: false, ...refusedWith('DEPTH_LIMIT_EXCEEDED') }) as never,
          );
        },
      },
      authPlugin(),
      compiledHotOperations(),
      {
        onExecute: ({ args }: { args: ExecutionArgs }) => {
          metrics.requests.inc({ transport: (args.contextValue as Context).transport, type: 'execute' });
        },
        onSubscribe: ({ args }: { args: ExecutionArgs }) => {
          metrics.requests.inc({ transport: (args.contextValue as Context).transport, type: 'subscribe' });
        },
        // every refusal is counted by its code, validation and limit refusals included
        onResultProcess: ({ result }: { result: unknown }) => {
          for (const r of Array.isArray(result) ? result : [result]) {
            for (const e of (r as { errors?: readonly { extensions?: { code?: unknown } }[] })?.errors ?? []) {
              metrics.errors.inc({ code: String(e.extensions?.code ?? 'GRAPHQL_ERROR') });
            }
          }
        },
      },
    ],
  });
  return Object.assign(yoga, { dispose: () => void resolvedErrorListeners.delete(countResolved) });
}
