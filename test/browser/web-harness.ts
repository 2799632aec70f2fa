/**
 * What the web client's browser tests share: a Vite build of src/web into a temporary folder (so parallel
 * test files never share one output), the real server serving it at `/` (WEB_APP_DIR), Chromium with fake
 * camera and microphone, one browser context per user with every request outside the server's origin
 * aborted and recorded, and screenshots (into docs/screenshots/ when UPDATE_SCREENSHOTS=1, a temporary
 * folder otherwise, so a normal run leaves the tree unchanged).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { expect } from 'vitest';
import { startServer, type TestServer } from '../server/harness.js';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, onlyOrigin } from './chromium.js';

const VITE_CONFIG = fileURLToPath(new URL('../../src/web/vite.config.ts', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
export const MEDIA_FLAGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

/** Builds the web client into a fresh temporary folder; returns it. */
export async function buildWebClient(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'sr-web-'));
  await build({ configFile: VITE_CONFIG, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  return outDir;
}

export interface User {
  context: BrowserContext;
  page: Page;
  username: string;
  /** Requests to another origin (aborted). */
  foreign: string[];
  /** Page errors and CSP violations. */
  problems: string[];
}

export class WebRig {
  server!: TestServer;
  browser!: Browser;
  origin!: string;
  readonly users: User[] = [];
  private outDir = '';
  private readonly shots = process.env.UPDATE_SCREENSHOTS === '1' ? SCREENSHOTS : join(tmpdir(), `sr-web-shots-${process.pid}`);

  async start(config: Parameters<typeof startServer>[0] = {}): Promise<void> {
    const [outDir, browser] = await Promise.all([
      buildWebClient(),
      chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_FLAGS, ...MEDIA_FLAGS], headless: true }),
    ]);
    this.outDir = outDir;
    this.browser = browser;
    this.server = await startServer({ webAppDir: outDir, ...config });
    this.origin = new URL(this.server.url).origin;
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.server?.stop();
    if (this.outDir) rmSync(this.outDir, { recursive: true, force: true });
    if (this.shots !== SCREENSHOTS) rmSync(this.shots, { recursive: true, force: true });
  }

  /** A new browser (context) with the app open on its welcome screen. */
  async open(username: string, viewport = { width: 1100, height: 760 }): Promise<User> {
    const context = await this.browser.newContext({ viewport, permissions: ['microphone', 'camera'], acceptDownloads: true });
    const foreign = await onlyOrigin(context, this.origin);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    const user = { context, page, username, foreign, problems };
    this.users.push(user);
    await page.goto(`${this.origin}/`);
    return user;
  }

  /** Registers `user` through the welcome screen and waits for the app to be ready. */
  async register(user: User, displayName: string): Promise<void> {
    const { page } = user;
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Display name').fill(displayName);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('.shell[data-ready="true"]').waitFor({ timeout: 60_000 });
  }

  async screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(this.shots, { recursive: true });
    await page.screenshot({ path: join(this.shots, `${name}.png`) });
  }

  /** Nothing left the origin, and no page error or CSP violation happened, in any user's browser. */
  expectClean(): void {
    for (const u of this.users) {
      expect(u.foreign, `${u.username}: requests to other origins`).toEqual([]);
      expect(u.problems, `${u.username}: page errors`).toEqual([]);
    }
  }
}

/** Finds `username` on the new-message screen and opens a direct conversation. */
export async function startConversation(page: Page, username: string): Promise<void> {
  await page.goto(`${new URL(page.url()).origin}/#/new`);
  await page.getByLabel('Find a user by username').fill(username);
  await page.locator(`[data-username="${username}"]`).click();
  await page.locator('.chat-header').waitFor();
}

/** Accepts the open conversation's message request (a conversation started by someone not yet a contact). */
export async function acceptRequest(page: Page): Promise<void> {
  await page.getByRole('region', { name: 'Message request' }).getByRole('button', { name: 'Accept' }).click();
  await page.getByLabel('Message', { exact: true }).waitFor();
}

export async function sendText(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.locator(`.msg.out[data-body="${text}"]`).waitFor();
}

export const bubble = (page: Page, text: string) => page.locator(`.msg[data-body="${text.replaceAll('"', '\\"')}"]`);
