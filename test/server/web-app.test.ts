/**
 * The web client's route (src/server/http/web-app.ts): `/` is the built app's page under a
 * Content-Security-Policy that keeps every request on the origin, hashed assets are cached for good, names
 * outside the build folder are never served, and a server without a build says how to make one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';

let dir: string;
let server: TestServer;
let origin: string;

/** A raw GET (fetch would normalise `..` in the path before sending it). */
function rawGet(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers: { accept: 'text/html' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sr-webapp-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title><script type="module" src="/assets/index-abc123.js"></script>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), `console.log(${JSON.stringify('x'.repeat(4000))});`);
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(tmpdir(), 'sr-webapp-secret.txt'), 'outside');
  server = await startServer({ webAppDir: dir });
  origin = new URL(server.url).origin;
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the web client route', () => {
  it('serves the page at / under a CSP that allows nothing off the origin', async () => {
    const res = await fetch(`${origin}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('<title>app</title>');
    const csp = res.headers.get('content-security-policy')!;
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(d);
    expect(csp).not.toMatch(/https?:|\*/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves hashed assets for good, gzipped when asked, and root files without long caching', async () => {
    const js = await fetch(`${origin}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect((await js.text()).length).toBeGreaterThan(4000); // fetch decompresses
    const icon = await fetch(`${origin}/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('never serves a name outside the build folder, or one that is not a plain file name', async () => {
    for (const path of ['/../sr-webapp-secret.txt', '/assets/../../sr-webapp-secret.txt', '/%2e%2e/sr-webapp-secret.txt', '/assets/', '/.hidden.js', '/nope.js']) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('outside');
    }
  });

  it('answers only GET and HEAD on the page, and leaves /graphql, /health and the explorer alone', async () => {
    expect((await rawGet('/', 'HEAD')).status).toBe(200);
    expect((await fetch(`${origin}/`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(`${origin}/health`)).status).toBe(200);
    const explorer = await fetch(`${origin}/graphql`, { headers: { accept: 'text/html' } });
    expect(await explorer.text()).toContain('explorer');
  });

  it('says how to build the app when the build folder is empty, and redirects to the explorer when turned off', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sr-webapp-empty-'));
    const unbuilt = await startServer({ webAppDir: empty });
    const off = await startServer({ webAppDir: null });
    try {
      const res = await fetch(`${new URL(unbuilt.url).origin}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build:web');
      const redirect = await fetch(`${new URL(off.url).origin}/`, { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('location')).toBe('/graphql');
    } finally {
      await Promise.all([unbuilt.stop(), off.stop()]);
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
