/**
 * The GraphiQL explorer, served entirely from this server: a browser's GET of the GraphQL path (Accept:
 * text/html) gets a page whose script, styles, Monaco editor workers and icon all come from /explorer/*
 * on the same origin, under a Content-Security-Policy that allows nothing else (no CDN, no inline
 * script). The GraphiQL build is @graphql-yoga/render-graphiql's, which inlines every asset (fonts and
 * images as data: URLs); yoga's own page would load GraphiQL and Monaco from a public CDN instead.
 * ./explorer-page.js (the page's own script) runs subscriptions over graphql-ws with the headers pane's
 * Authorization as connectionParams. Turned off with GRAPHIQL=false (see config.ts).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { SERVER_DIR } from '../kernel/paths.js';

const gzip = promisify(gzipCb);

/** Where the explorer's assets live; names carry a content hash, so they are cached for good. */
export const EXPLORER_ASSET_PREFIX = '/explorer/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Assets smaller than this are sent as they are. */
const GZIP_MIN_BYTES = 1024;

/**
 * The page runs only this origin's scripts. Styles allow 'unsafe-inline' because Monaco and GraphiQL
 * create <style> elements at run time; fonts and images come as data: URLs from the bundled CSS.
 * connect-src 'self' covers fetch to /graphql and the ws(s): socket on the same host and port.
 */
export const EXPLORER_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
/** Assets (scripts, workers, CSS) need nothing themselves; a worker runs under the policy of its script's response. */
export const EXPLORER_ASSET_CSP = "default-src 'none'; frame-ancestors 'none'";

export interface ExplorerOptions {
  /** The GraphQL path (the page is served there to browsers). */
  endpoint: string;
  title: string;
}

export interface Explorer {
  /** Serves the page or an asset; false when the request is not the explorer's. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
}

interface Asset {
  type: string;
  body: Buffer;
  gzipped?: Promise<Buffer>;
}

interface Built {
  page: Buffer;
  assets: Map<string, Asset>;
}

export function createExplorer(opts: ExplorerOptions): Explorer {
  let built: Promise<Built> | null = null;
  const load = () => {
    built ??= build(opts).catch((err) => {
      built = null; // try again on the next request
      throw err;
    });
    return built;
  };
  return {
    async handle(req, res, path) {
      const method = req.method ?? 'GET';
      if (path === opts.endpoint) {
        // what yoga does too: a browser navigating to the endpoint gets the page, everything else is GraphQL
        if ((method !== 'GET' && method !== 'HEAD') || !String(req.headers.accept ?? '').includes('text/html')) return false;
        const { page } = await load();
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': page.length,
          'content-security-policy': EXPLORER_PAGE_CSP,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        });
        res.end(method === 'HEAD' ? undefined : page);
        return true;
      }
      if (!path.startsWith(EXPLORER_ASSET_PREFIX)) return false;
      const asset = (await load()).assets.get(path.slice(EXPLORER_ASSET_PREFIX.length));
      if (!asset || (method !== 'GET' && method !== 'HEAD')) {
        res.writeHead(asset ? 405 : 404, { 'content-type': 'application/json' }).end(asset ? '{"error":"method not allowed"}' : '{"error":"not found"}');
        return true;
      }
      const zipped = asset.body.length >= GZIP_MIN_BYTES && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      let body = asset.body;
      if (zipped) {
        asset.gzipped ??= gzip(asset.body);
        body = await asset.gzipped;
      }
      res.writeHead(200, {
        'content-type': asset.type,
        'content-length': body.length,
        ...(zipped ? { 'content-encoding': 'gzip' } : {}),
        vary: 'accept-encoding',
        'cache-control': IMMUTABLE,
        'content-security-policy': EXPLORER_ASSET_CSP,
        'x-content-type-options': 'nosniff',
        'cross-origin-resource-policy': 'same-origin',
      });
      res.end(method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}

const JS = 'text/javascript; charset=utf-8';

/** Loads the GraphiQL build (about 9 MB of strings: only when the explorer is first opened) and names every asset by its hash. */
async function build(opts: ExplorerOptions): Promise<Built> {
  const graphiql = await import('@graphql-yoga/render-graphiql/graphiql');
  const require = createRequire(import.meta.url);
  const wsClient = await readFile(join(dirname(require.resolve('graphql-ws/package.json')), 'umd/graphql-ws.min.js'));
  const pageScript = await readFile(new URL('./http/explorer-page.js', SERVER_DIR));
  const defaultQuery = await readFile(new URL('./http/explorer-default.graphql', SERVER_DIR), 'utf8');
  const favicon = /^data:([^;,]+);base64,(.*)$/s.exec(graphiql.favicon);

  const assets = new Map<string, Asset>();
  const add = (name: string, type: string, body: Buffer) => {
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
    const dot = name.lastIndexOf('.');
    const file = `${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
    assets.set(file, { type, body });
    return EXPLORER_ASSET_PREFIX + file;
  };
  const urls = {
    page: add('explorer.js', JS, pageScript),
    graphiql: add('graphiql.js', JS, Buffer.from(graphiql.js)),
    graphqlWs: add('graphql-ws.js', JS, wsClient),
    css: add('graphiql.css', 'text/css; charset=utf-8', Buffer.from(graphiql.css)),
    icon: favicon ? add('favicon.ico', favicon[1], Buffer.from(favicon[2], 'base64')) : null,
  };
  const config = {
    endpoint: opts.endpoint,
    workers: {
      editorWorkerService: add('editor.worker.js', JS, Buffer.from(graphiql.editorWorkerService)),
      json: add('json.worker.js', JS, Buffer.from(graphiql.jsonWorker)),
      graphql: add('graphql.worker.js', JS, Buffer.from(graphiql.graphqlWorker)),
    },
    graphiql: { title: opts.title, defaultQuery, shouldPersistHeaders: false },
  };
  const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(opts.title)}</title>
    ${urls.icon ? `<link rel="icon" href="${urls.icon}" />` : ''}
    <link rel="stylesheet" href="${urls.css}" />
    <script type="application/json" id="explorer-config">${jsonForScript(config)}</script>
    <script defer src="${urls.page}"></script>
    <script defer src="${urls.graphiql}"></script>
    <script defer src="${urls.graphqlWs}"></script>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>The explorer needs JavaScript.</noscript>
    <div id="root"></div>
  </body>
</html>
`;
  return { page: Buffer.from(page), assets };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside <script>: `<` escaped so no string in it can close the element. */
const jsonForScript = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
