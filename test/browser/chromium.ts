/**
 * Real Chromium for the browser tests: Debian's /usr/bin/chromium (or CHROMIUM_PATH) driven by
 * playwright-core; never a downloaded browser. Without it the suites skip and their title says why
 * (`.ci/run` installs it). The launch flags are the ones that work as root in a container.
 */
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { describe } from 'vitest';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = existsSync(CHROMIUM_PATH) ? null : `no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium, or set CHROMIUM_PATH`;

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS, headless: true });
}

/** `describe` when Chromium is there; otherwise a skipped suite whose name gives the reason. */
export function describeInChromium(name: string, body: () => void): void {
  if (missing) {
    console.warn(`${name}: skipped, ${missing}`);
    describe.skip(`${name} (skipped: ${missing})`, body);
  } else {
    describe(name, body);
  }
}

/**
 * Routes every request and WebSocket of `context`: those to `origin` go on to the network, any other is
 * aborted and recorded in the returned list (which a test asserts to be empty).
 */
export async function onlyOrigin(context: BrowserContext, origin: string): Promise<string[]> {
  const foreign: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    foreign.push(url);
    return route.abort('blockedbyclient');
  });
  const wsOrigin = origin.replace(/^http/, 'ws');
  await context.routeWebSocket(/.*/, (ws) => {
    if (new URL(ws.url()).origin === wsOrigin) {
      ws.connectToServer();
      return;
    }
    foreign.push(ws.url());
    void ws.close({ code: 1008, reason: 'foreign origin' });
  });
  return foreign;
}
