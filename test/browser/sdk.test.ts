/**
 * The SDK in real Chromium, as a web app uses it: the package's browser bundle (esbuild of its browser
 * entry) and the SDK README's browser example (src/client/examples/browser.mjs, importing the package by
 * name through an import map) in two browser contexts, two users. They register, exchange messages both
 * ways, send and download an attachment; then one page reloads, comes back from IndexedDB as the same
 * device with its history, and can still decrypt and send.
 *
 * Same origin as the API, as a deployed app would be: a test-only front server (./static-proxy.ts) serves
 * the test page and its scripts and passes every other request and the WebSocket upgrade to the real
 * server, so the product needs no static route for the test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleBrowserSdk } from '../../scripts/browser-bundle.js';
import type * as Sdk from '../../src/client/browser.js';
import { startServer, type TestServer, uniqueName } from '../server/harness.js';
import { describeInChromium, launchChromium, onlyOrigin } from './chromium.js';
import { type StaticProxy, startStaticProxy } from './static-proxy.js';

const EXAMPLE = readFileSync(new URL('../../src/client/examples/browser.mjs', import.meta.url), 'utf8');
const PAGE = `<!doctype html>
<script type="importmap">{ "imports": { "@sealed-relay/client": "/__sdk-test/sdk.js" } }</script>
<script type="module">
  import * as sdk from '@sealed-relay/client';
  import { connect } from '/__sdk-test/browser.mjs';
  Object.assign(window, { sdk, connect, clientErrors: [] });
</script>`;

interface Session {
  client: Sdk.MessagingClient;
  restored: boolean;
  close(): Promise<void>;
}
declare const connect: (o: { username: string; onMessage: (m: Sdk.StoredMessage) => void }) => Promise<Session>;
declare let session: Session;
declare const clientErrors: string[];

describeInChromium('the SDK in Chromium', () => {
  let server: TestServer;
  let front: StaticProxy;
  let blobs: string;
  let browser: Browser;
  let origin: string;
  const contexts: BrowserContext[] = [];
  const blocked: string[][] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    blobs = mkdtempSync(join(tmpdir(), 'sr-browser-blobs-'));
    server = await startServer({ blobDir: blobs, attachmentSweepIntervalMs: 0 });
    const { code } = await bundleBrowserSdk();
    front = await startStaticProxy(server.url, {
      '/__sdk-test/': { type: 'text/html', body: PAGE },
      '/__sdk-test/sdk.js': { type: 'text/javascript', body: code },
      '/__sdk-test/browser.mjs': { type: 'text/javascript', body: EXAMPLE },
    });
    origin = front.origin;
    browser = await launchChromium();
    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext();
      blocked.push(await onlyOrigin(context, origin));
      contexts.push(context);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await front?.close();
    await server?.stop();
    rmSync(blobs, { recursive: true, force: true });
  });

  async function open(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${origin}/__sdk-test/`);
    await page.waitForFunction(() => 'connect' in window);
    return page;
  }

  /** Opens (or registers) the page's device through the README example; errors the client reports are collected. */
  const connectAs = (page: Page, username: string) =>
    page.evaluate(async (u) => {
      session = await connect({ username: u, onMessage: () => {} });
      session.client.events.on('error', (e) => void clientErrors.push(String(e)));
      return { userId: session.client.userId, deviceId: session.client.deviceId, restored: session.restored };
    }, username);

  const bodies = (page: Page, conversationId: string) =>
    page.evaluate(async (c) => (await session.client.messages(c)).map((m) => `${m.outgoing ? 'out' : 'in'}:${m.content.body}`), conversationId);

  const send = (page: Page, conversationId: string, text: string) =>
    page.evaluate(async ([c, t]) => void (await session.client.sendMessage(c, t)), [conversationId, text] as const);

  let alice: Page;
  let bob: Page;
  let bobUser: { userId: string; deviceId: number };
  let conversation: string;
  const bobName = uniqueName('bob');

  it('registers two users in two browser contexts and exchanges messages both ways', async () => {
    [alice, bob] = await Promise.all([open(contexts[0]), open(contexts[1])]);
    const [a, b] = await Promise.all([connectAs(alice, uniqueName('alice')), connectAs(bob, bobName)]);
    expect([a.restored, b.restored]).toEqual([false, false]);
    bobUser = b;
    conversation = await alice.evaluate(async (id) => (await session.client.createDirectConversation(id)).id, b.userId);

    await send(alice, conversation, 'hello Bob');
    await expect.poll(() => bodies(bob, conversation), { timeout: 30_000 }).toEqual(['in:hello Bob']);
    await send(bob, conversation, 'hi Alice');
    await expect.poll(() => bodies(alice, conversation), { timeout: 30_000 }).toEqual(['out:hello Bob', 'in:hi Alice']);
  });

  it('sends an attachment that the other side downloads and decrypts to the same bytes', async () => {
    const sent = await alice.evaluate(async (c) => {
      const bytes = new Uint8Array(200_000);
      for (let i = 0; i < bytes.length; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
      await session.client.sendAttachment(c, bytes, { contentType: 'IMAGE', mimeType: 'image/png', fileName: 'photo.png', caption: 'a photo' });
      return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (x) => x.toString(16).padStart(2, '0')).join('');
    }, conversation);
    await expect.poll(() => bodies(bob, conversation), { timeout: 30_000 }).toContain('in:a photo');
    const got = await bob.evaluate(async (c) => {
      const m = (await session.client.messages(c)).find((x) => x.content.body === 'a photo')!;
      const [pointer] = m.content.attachments;
      const bytes = await session.client.downloadAttachment(pointer);
      const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes))), (x) => x.toString(16).padStart(2, '0')).join('');
      return { digest, size: bytes.length, mimeType: pointer.contentType, fileName: pointer.fileName };
    }, conversation);
    expect(got).toEqual({ digest: sent, size: 200_000, mimeType: 'image/png', fileName: 'photo.png' });
  });

  it('keeps the session across a page reload (IndexedDB): same device, same history, still decrypts and sends', async () => {
    await bob.reload();
    await bob.waitForFunction(() => 'connect' in window);
    const again = await connectAs(bob, bobName);
    expect(again).toEqual({ ...bobUser, restored: true });
    expect(await bodies(bob, conversation)).toEqual(['in:hello Bob', 'out:hi Alice', 'in:a photo']);

    await send(alice, conversation, 'after your reload');
    await expect.poll(() => bodies(bob, conversation), { timeout: 30_000 }).toContain('in:after your reload');
    await send(bob, conversation, 'still here');
    await expect.poll(() => bodies(alice, conversation), { timeout: 30_000 }).toContain('in:still here');
  });

  it('stayed on the server’s origin, with no page or client errors', async () => {
    for (const page of [alice, bob]) expect(await page.evaluate(() => clientErrors)).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(blocked.flat()).toEqual([]);
    await Promise.all([alice, bob].map((p) => p.evaluate(() => session.close())));
  });
});
