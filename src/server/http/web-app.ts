/**
 * The web client (src/web, built by Vite into WEB_APP_DIR) served at `/` by the server itself, so the app
 * and the API share one origin: `/` is the app's page, `/assets/*` its hashed scripts and styles (cached for
 * good), a few root files (icon) beside them. The page runs under a Content-Security-Policy that lets
 * nothing leave the origin: scripts, styles, fetch and the graphql-ws socket are 'self' only; images, audio
 * and video may also be blob: URLs (attachments decrypted on the device) and camera or microphone streams.
 * Files are read from the build folder on request (a rebuild needs no restart); names outside it, or not
 * plain file names, are not served.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);

export const WEB_APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
};
/** A served name: path segments of plain characters, no dot-segments, a known extension. */
const SAFE_PATH = /^\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const GZIP_MIN_BYTES = 1024;

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface WebApp {
  /** Serves the page or one of its files; false when the path is not the app's. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
}

export function createWebApp(dir: string): WebApp {
  const root = normalize(dir.endsWith(sep) ? dir : dir + sep);
  const zipped = new Map<string, { mtimeMs: number; body: Buffer }>();

  async function file(path: string): Promise<{ body: Buffer; mtimeMs: number } | null> {
    const full = normalize(join(root, path));
    if (!full.startsWith(root)) return null;
    try {
      const s = await stat(full);
      if (!s.isFile()) return null;
      return { body: await readFile(full), mtimeMs: s.mtimeMs };
    } catch {
      return null;
    }
  }

  return {
    async handle(req, res, path) {
      const method = req.method ?? 'GET';
      const page = path === '/' || path === '/index.html';
      if (!page && !(SAFE_PATH.test(path) && TYPES[extname(path)] && path !== '/index.html')) return false;
      if (method !== 'GET' && method !== 'HEAD') {
        if (!page) return false;
        res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' }).end('{"error":"method not allowed"}');
        return true;
      }
      const found = await file(page ? 'index.html' : path.slice(1));
      if (!found) {
        if (!page) return false;
        res
          .writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
          .end(`The web client is not built in ${root}: run \`npm run build:web\` (npm start does it), or set WEB_APP_DIR.\n`);
        return true;
      }
      const type = TYPES[extname(page ? '/index.html' : path)];
      let body = found.body;
      let encoding: string | null = null;
      if (body.length >= GZIP_MIN_BYTES && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        const key = page ? '/index.html' : path;
        let z = zipped.get(key);
        if (!z || z.mtimeMs !== found.mtimeMs) zipped.set(key, (z = { mtimeMs: found.mtimeMs, body: await gzip(body) }));
        body = z.body;
        encoding = 'gzip';
      }
      res.writeHead(200, {
        'content-type': type,
        'content-length': body.length,
        ...(encoding ? { 'content-encoding': encoding } : {}),
        vary: 'accept-encoding',
        'cache-control': path.startsWith('/assets/') ? IMMUTABLE : 'no-cache',
        ...COMMON_HEADERS,
        ...(page
          ? { 'content-security-policy': WEB_APP_CSP, 'permissions-policy': 'camera=(self), microphone=(self), geolocation=()' }
          : { 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" }),
      });
      res.end(method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
