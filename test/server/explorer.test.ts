/**
 * The explorer over plain HTTP: a browser's GET of /graphql gets a page that references only this
 * server's /explorer/* assets under a strict Content-Security-Policy; the assets are served (gzipped on
 * request, cached by content hash); GraphQL requests to the same path are untouched; GRAPHIQL turns it
 * off; and the prefilled operations are valid against the schema. (The page itself runs in Chromium in
 * test/browser/explorer.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { buildSchema, parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config.js';
import { EXPLORER_ASSET_PREFIX } from '../../src/server/http/explorer.js';
import { startServer, type TestServer } from './harness.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('GRAPHIQL', () => {
  it('is on by default, off by default when NODE_ENV=production, and either way when set', () => {
    expect(loadConfig({}).graphiql).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).graphiql).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', GRAPHIQL: 'true' }).graphiql).toBe(true);
    expect(loadConfig({ GRAPHIQL: 'off' }).graphiql).toBe(false);
    expect(loadConfig({ GRAPHIQL: '0' }).graphiql).toBe(false);
  });

  it('refuses a value that is not a boolean, naming the variable', () => {
    expect(() => loadConfig({ GRAPHIQL: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ GRAPHIQL: 'maybe' })).toThrow(/^GRAPHIQL: expected true or false, got "maybe"$/);
  });
});

describe('the explorer page', () => {
  let server: TestServer;
  let origin: string;
  let page: string;
  let pageHeaders: Headers;

  beforeAll(async () => {
    server = await startServer();
    origin = new URL(server.url).origin;
    const res = await fetch(server.url, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    pageHeaders = res.headers;
    page = await res.text();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const references = () => [...page.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);

  it('is HTML under a Content-Security-Policy that runs only this origin’s scripts', () => {
    expect(pageHeaders.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = pageHeaders.get('content-security-policy')!;
    const directives = Object.fromEntries(csp.split(/;\s*/).map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives).toMatchObject({ 'default-src': "'none'", 'script-src': "'self'", 'connect-src': "'self'", 'worker-src': "'self'", 'frame-ancestors': "'none'" });
    expect(pageHeaders.get('x-content-type-options')).toBe('nosniff');
    // no inline script: the only <script> without src is the JSON configuration block
    const inline = [...page.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1].trim());
    expect(inline).toEqual(['type="application/json" id="explorer-config"']);
  });

  it('references nothing but its own assets, and each of them is served with a long cache and a policy', async () => {
    const config = JSON.parse(/<script type="application\/json" id="explorer-config">(.*?)<\/script>/s.exec(page)![1]);
    const urls = [...references(), ...Object.values<string>(config.workers)];
    expect(urls.length).toBe(8); // icon, CSS, page script, GraphiQL, graphql-ws client, three Monaco workers
    for (const u of urls) {
      expect(u.startsWith(EXPLORER_ASSET_PREFIX), u).toBe(true);
      const res = await fetch(origin + u, { headers: { 'accept-encoding': 'identity' } });
      expect(res.status, u).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(Number(res.headers.get('content-length'))).toBe((await res.arrayBuffer()).byteLength);
    }
    expect(config.endpoint).toBe('/graphql');
  });

  it('gzips a large asset when the browser accepts it, to the same bytes', async () => {
    const js = references().find((u) => /\/graphiql\.[0-9a-f]+\.js$/.test(u))!;
    const plain = Buffer.from(await (await fetch(origin + js, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
    const { statusCode, headers, body } = await rawGet(origin + js, { 'accept-encoding': 'gzip' });
    expect(statusCode).toBe(200);
    expect(headers['content-encoding']).toBe('gzip');
    expect(body.length).toBeLessThan(plain.length / 2);
    expect(gunzipSync(body).equals(plain)).toBe(true);
  });

  it('answers 404 for an asset it does not have', async () => {
    const res = await fetch(`${origin}${EXPLORER_ASSET_PREFIX}graphiql.0000000000000000.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  });

  it('leaves GraphQL on the same path alone: a GET query and a POST still get JSON', async () => {
    const get = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json' } });
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    const post = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(await post.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('prefills operations that are valid against the schema', () => {
    const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));
    const config = JSON.parse(/<script type="application\/json" id="explorer-config">(.*?)<\/script>/s.exec(page)![1]);
    const doc = parse(config.graphiql.defaultQuery);
    expect(validate(schema, doc).map((e) => e.message)).toEqual([]);
    expect(doc.definitions.map((d) => ('name' in d ? d.name?.value : undefined))).toEqual(['Register', 'Me', 'Inbox']);
  });
});

describe('with GRAPHIQL=false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ graphiql: false });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves no page and no assets', async () => {
    const res = await fetch(server.url, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.headers.get('content-type') ?? '').not.toContain('text/html');
    expect((await fetch(`${new URL(server.url).origin}${EXPLORER_ASSET_PREFIX}explorer.js`)).status).toBe(404);
  });
});

/** fetch() always decompresses; this shows the bytes on the wire. */
async function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ statusCode: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}
