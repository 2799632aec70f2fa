/**
 * The HTTP routes of one instance: `/graphql` (yoga: queries, mutations, SSE; graphql-ws upgrades are
 * handled in graphql/ws.ts; a browser's GET is the self-hosted explorer when GRAPHIQL is on, its assets
 * under `/explorer/`), `/` the web client (web-app.ts, unless WEB_APP_DIR=off), `/attachments` (encrypted blobs, streamed), `/health` and `/metrics`.
 * Request bodies for `/graphql` must declare their length and stay under MAX_BODY_BYTES (411 / 413
 * before a byte is read).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAttachmentRequest } from '../attachments/attachments.http.js';
import type { GraphQLServer } from '../graphql/yoga.js';
import type { Services } from '../services.js';
import { clientAddress } from './client-address.js';
import { createExplorer } from './explorer.js';
import { createWebApp } from './web-app.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The request bodies that execute: JSON and GraphQL-over-HTTP. A browser sends these cross-site only after a
 * CORS preflight, so a form or a `text/plain` post (a CSRF) never runs an operation.
 */
const EXECUTABLE_TYPES = new Set(['application/json', 'application/graphql-response+json', 'application/graphql']);

const refusal = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

/** `GET /metrics`, for Prometheus: on the main port only behind METRICS_TOKEN (a bearer token). */
export async function serveMetrics(services: Services, req: IncomingMessage, res: ServerResponse, requireToken: boolean): Promise<void> {
  const { metrics, config } = services;
  if (requireToken) {
    const presented = Buffer.from(/^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
    const expected = Buffer.from(config.metricsToken ?? '');
    if (!config.metricsToken || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      res.writeHead(config.metricsToken ? 401 : 404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
      return;
    }
  }
  res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export function createRouter(services: Services, yoga: GraphQLServer): RequestHandler {
  const { metrics, config, log } = services;
  const explorer = config.graphiql ? createExplorer({ endpoint: '/graphql', title: 'sealed-relay explorer' }) : null;
  const webApp = config.webAppDir ? createWebApp(config.webAppDir) : null;
  /** Requests without a token in progress, per client address: a flood is refused before it is even parsed. */
  const anonymous = new Map<string, number>();
  const admitAnonymous = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.headers.authorization) return true;
    const address = clientAddress(req, config.trustProxyHops);
    const n = anonymous.get(address) ?? 0;
    const wait = n >= config.anonConcurrencyPerAddress ? 1 : services.accounts.anonymousRetryAfter(address);
    if (wait > 0) {
      const message = n >= config.anonConcurrencyPerAddress ? 'too many requests without a token at once from this address' : 'credential operations: rate limit exceeded';
      json(res, 429, { errors: [{ message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: wait } }] }, { 'retry-after': String(wait) });
      return false;
    }
    anonymous.set(address, n + 1);
    res.once('close', () => {
      const left = (anonymous.get(address) ?? 1) - 1;
      if (left <= 0) anonymous.delete(address);
      else anonymous.set(address, left);
    });
    return true;
  };
  return async (req, res) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      metrics.httpDuration.observe({ status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (explorer && (await explorer.handle(req, res, path))) return;
      if (path === '/attachments' || path.startsWith('/attachments/')) {
        await handleAttachmentRequest(services, req, res, path);
        return;
      }
      if (path === '/health') {
        try {
          await services.knex.raw('select 1');
          json(res, 200, { status: 'ok' });
        } catch {
          json(res, 503, { status: 'database unavailable' });
        }
        return;
      }
      if (path === '/metrics') {
        await serveMetrics(services, req, res, true);
        return;
      }
      if (webApp && (await webApp.handle(req, res, path))) return;
      if (path === '/') {
        res.writeHead(302, { location: '/graphql' }).end();
        return;
      }
      if (path === '/graphql') {
        if (req.method === 'POST') {
          const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
          if (!EXECUTABLE_TYPES.has(type)) {
            json(res, 415, refusal('expected Content-Type application/json (or application/graphql-response+json)', 'UNSUPPORTED_MEDIA_TYPE'), {
              connection: 'close',
            });
            return;
          }
          const len = req.headers['content-length'];
          if (len === undefined) {
            json(res, 411, { errors: [{ message: 'Content-Length required', extensions: { code: 'LENGTH_REQUIRED' } }] });
            return;
          }
          if (!admitAnonymous(req, res)) return;
          if (Number(len) > config.maxBodyBytes) {
            json(
              res,
              413,
              { errors: [{ message: `request body over ${config.maxBodyBytes} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] },
              { connection: 'close' },
            );
            return;
          }
        }
        if (req.method === 'GET') {
          // GraphQL over HTTP GET: variables and extensions are JSON objects (else a 400, not an execution error)
          const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
          for (const name of ['variables', 'extensions']) {
            const v = params.get(name);
            if (v === null) continue;
            let ok = false;
            try {
              const parsed = JSON.parse(v);
              ok = parsed === null || (typeof parsed === 'object' && !Array.isArray(parsed));
            } catch {
              ok = false;
            }
            if (!ok) {
              json(res, 400, refusal(`"${name}" must be a JSON object`, 'BAD_REQUEST'));
              return;
            }
          }
        }
        await yoga.requestListener(req, res);
        return;
      }
      json(res, 404, { error: 'not found' });
    } catch (err) {
      log.error({ err }, 'request failed');
      if (!res.headersSent) res.writeHead(500).end();
    }
  };
}
