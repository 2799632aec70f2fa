/**
 * The GraphQL server over HTTP and SSE (graphql-yoga): the schema, the envelop plugins that apply on every
 * transport (graphql-armor limits, authentication, metrics), error masking and the per-operation context.
 * graphql-ws operations run through the same envelop (graphql/ws.ts), so these apply there too.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { createYoga, maskError, type YogaServerInstance } from 'graphql-yoga';
import type { AuthDevice } from '../kernel/auth.js';
import type { Services } from '../services.js';
import { authPlugin } from './auth-plugin.js';
import type { Context } from './context.js';
import { domainErrorOf, domainGraphQLError, unauthenticated } from './errors.js';
import { createLoaders } from './loaders.js';
import { schema } from './schema.js';

export type ServerContext = { req?: IncomingMessage; wsAuth?: AuthDevice };
export type GraphQLServer = YogaServerInstance<ServerContext, Context>;

export const BEARER = /^Bearer\s+(\S+)$/i;

export function createGraphQLServer(services: Services): GraphQLServer {
  const { config, log, metrics } = services;
  return createYoga<ServerContext, Context>({
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
    maskedErrors: {
      maskError(error, message, isDev) {
        const domain = domainErrorOf(error);
        if (domain) {
          metrics.errors.inc({ code: domain.code });
          return domainGraphQLError(domain, error instanceof GraphQLError ? error : undefined);
        }
        const code = error instanceof GraphQLError ? String(error.extensions?.code ?? 'GRAPHQL_ERROR') : 'INTERNAL_SERVER_ERROR';
        metrics.errors.inc({ code });
        if (!(error instanceof GraphQLError) || (error.originalError && !(error.originalError instanceof GraphQLError))) {
          log.error({ err: (error as GraphQLError).originalError ?? error }, 'unexpected error');
        }
        return maskError(error, message, isDev);
      },
    },
    context: async (init): Promise<Context> => {
      const requestId = init.request?.headers.get('x-request-id') ?? randomUUID();
      const loaders = createLoaders(services);
      if (init.wsAuth) {
        return { requestId, auth: init.wsAuth, externalSubject: null, services, loaders, transport: 'ws' };
      }
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
      return { requestId, auth, externalSubject, services, loaders, transport: 'http' };
    },
    plugins: [
      EnvelopArmorPlugin({
        // fragments do not add depth (the SDK's own operations use fragments freely)
        maxDepth: { n: config.maxDepth, flattenFragments: true },
        costLimit: { maxCost: config.maxCost },
        maxAliases: { n: config.maxAliases },
        maxTokens: { n: config.maxTokens },
        maxDirectives: { n: 20 },
        blockFieldSuggestion: { enabled: true },
      }),
      authPlugin(),
      {
        onExecute: ({ args }: { args: ExecutionArgs }) => {
          metrics.requests.inc({ transport: (args.contextValue as Context).transport, type: 'execute' });
        },
        onSubscribe: ({ args }: { args: ExecutionArgs }) => {
          metrics.requests.inc({ transport: (args.contextValue as Context).transport, type: 'subscribe' });
        },
      },
    ],
  });
}
