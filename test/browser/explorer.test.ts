/**
 * The GraphiQL explorer in real Chromium, as someone who just started the server uses it: the page and
 * everything it loads come from the server's own origin (any other request is aborted and fails the
 * test), the prefilled Register runs without a token, the token pasted into the Headers pane authorizes
 * a query over HTTP and a subscription over graphql-ws, and the docs pane shows the schema. Nothing
 * trips the page's Content-Security-Policy.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer, uniqueName } from '../server/harness.js';
import { describeInChromium, launchChromium, onlyOrigin } from './chromium.js';

const PREFILLED = readFileSync(new URL('../../src/server/http/explorer-default.graphql', import.meta.url), 'utf8');

describeInChromium('the explorer in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let origin: string;
  let foreign: string[];
  const problems: string[] = [];
  const sockets: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    origin = new URL(server.url).origin;
    browser = await launchChromium();
    context = await browser.newContext();
    foreign = await onlyOrigin(context, origin);
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('websocket', (ws) => sockets.push(ws.url()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const queryEditor = () => page.locator('.graphiql-query-editor .monaco-editor').first();
  const response = () => page.locator('.graphiql-response');
  /** Monaco shows spaces as no-break spaces. */
  const textOf = async (l: Locator) => (await l.innerText()).replaceAll('\u00a0', ' ');

  /** Replaces an editor's text as a paste would (no auto-closing brackets). */
  async function setEditor(editor: Locator, text: string) {
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  }

  /** Puts a document in the query editor and waits until GraphiQL has parsed it (the tab takes its first operation's name). */
  async function setDocument(text: string) {
    await setEditor(queryEditor(), text);
    const first = /^\s*(?:query|mutation|subscription)\s+(\w+)/m.exec(text)![1];
    await page.waitForFunction((n) => document.querySelector('.graphiql-tab-button')?.textContent === n, first);
  }

  /** Runs one operation of the document: the run button offers a menu of them. */
  async function run(operation: string) {
    await page.click('.graphiql-execute-button');
    await page.getByRole('menuitem', { name: operation, exact: true }).click();
  }

  it('loads from the server alone, under its Content-Security-Policy, with the getting-started operations prefilled', async () => {
    const res = await page.goto(`${origin}/graphql`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    await page.waitForSelector('.graphiql-container');
    // the introspection of the schema has come back: the docs button is there
    await page.waitForSelector('[aria-label="Show Documentation Explorer"]');
    const text = await textOf(queryEditor());
    expect(text).toContain('mutation Register');
    expect(text).toContain('"Authorization": "Bearer <accessToken>"');
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });

  let username: string;
  let token: string;

  it('registers without a token, with the prefilled Register (given a username of its own)', async () => {
    username = uniqueName('explorer');
    const sent = page.waitForResponse((r) => r.url() === `${origin}/graphql` && (r.request().postData() ?? '').includes('"operationName":"Register"'));
    await setDocument(PREFILLED.replace('username: "alice"', `username: "${username}"`));
    await run('Register');
    const body = await (await sent).json();
    expect(body.data.register.__typename).toBe('DeviceCredentials');
    token = body.data.register.accessToken;
    await expect.poll(() => textOf(response())).toContain('DeviceCredentials');
  });

  it('runs the prefilled Me with the Authorization header pasted into the Headers pane', async () => {
    await page.getByText('Headers', { exact: true }).click();
    await setEditor(page.locator('.graphiql-editor-tool .monaco-editor').last(), `{ "Authorization": "Bearer ${token}" }`);
    await run('Me');
    await expect.poll(() => textOf(response())).toContain(`"username": "${username}"`);
  });

  it('runs the prefilled Inbox subscription over graphql-ws on the same origin, authorized by the same header', async () => {
    await run('Inbox');
    await expect.poll(() => textOf(response())).toContain('InboxDrained');
    expect(sockets).toEqual([`${origin.replace(/^http/, 'ws')}/graphql`]);
  });

  it('shows the schema in the docs pane', async () => {
    await page.click('[aria-label="Show Documentation Explorer"]');
    const docs = page.locator('.graphiql-doc-explorer');
    await expect.poll(() => textOf(docs)).toContain('subscription: Subscription');
    await docs.getByRole('link', { name: 'Query', exact: true }).first().click();
    await expect.poll(() => textOf(docs)).toContain('The authenticated user.');
  });

  it('made no request to another origin and broke no Content-Security-Policy rule', () => {
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });
});
