/**
 * The HTTP routes of one instance: `/graphql` (yoga: queries, mutations, SSE; graphql-ws upgrades are
 * handled in graphql/ws.ts; a browser's GET is the self-hosted explorer when GRAPHIQL is on, its assets
 * under `/explorer/`), `/` the web client (web-app.ts, unless WEB_APP_DIR=off), `/attachments` (encrypted blobs, streamed), `/health` and `/metrics`.
 * Request bodies for `/graphql` must declare their length and stay under MAX_BODY_BYTES (411 / 413
 * before a byte is read).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAttachmentRequest } from '../attachments/attachments.http.js';
import type { GraphQLServer } from '../graphql/yoga.js';
import type { Services } from '../services.js';
import { createExplorer } from './explorer.js';
import { createWebApp } from './web-app.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export function createRouter(services: Services, yoga: GraphQLServer): RequestHandler {
  const { metrics, config, log } = services;
  const explorer = config.graphiql ? createExplorer({ endpoint: '/graphql', title: 'sealed-relay explorer' }) : null;
  const webApp = config.webAppDir ? createWebApp(config.webAppDir) : null;
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
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
        return;
      }
      if (webApp && (await webApp.handle(req, res, path))) return;
      if (path === '/') {
        res.writeHead(302, { location: '/graphql' }).end();
        return;
      }
      if (path === '/graphql') {
        if (req.method === 'POST') {
          const len = req.headers['content-length'];
          if (len === undefined) {
            json(res, 411, { errors: [{ message: 'Content-Length required', extensions: { code: 'LENGTH_REQUIRED' } }] });
            return;
          }
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
