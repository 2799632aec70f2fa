/**
 * `npm run size:web`: the web client's built size (each JS and CSS file of a fresh Vite build, raw and gzip
 * -9, and the totals), then the first screen's time to interactive measured in Chromium against a server on
 * an in-memory embedded database: from navigation start to the app's `sealed-relay:interactive` performance
 * mark, for a first visit (the welcome form) and for a returning user (a reload: the device reopened from
 * IndexedDB, the socket up and the conversation list loaded). Median and worst of RUNS page loads each.
 * A timing, not a benchmark: the machine is shared, so run it when it is quiet and read it as such.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { type App, buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '../src/server/db/embedded.js';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../test/browser/chromium.js';
import { buildWebClient } from '../test/browser/web-harness.js';

const RUNS = Number(process.env.RUNS ?? 5);
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

const outDir = await buildWebClient();
let app: App | undefined;
let db: EmbeddedDatabase | undefined;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS, headless: true });
try {
  const totals = { js: [0, 0], css: [0, 0] };
  console.log('web client build (src/web, Vite):');
  for (const f of readdirSync(join(outDir, 'assets')).sort()) {
    const kind = f.endsWith('.js') ? 'js' : f.endsWith('.css') ? 'css' : null;
    if (!kind) continue;
    const body = readFileSync(join(outDir, 'assets', f));
    const gz = gzipSync(body, { level: 9 }).length;
    totals[kind][0] += body.length;
    totals[kind][1] += gz;
    console.log(`  ${f.padEnd(32)} ${kib(body.length).padStart(10)} ${kib(gz).padStart(10)} gzip`);
  }
  console.log(`  JS total  ${kib(totals.js[0])}, ${kib(totals.js[1])} gzip; CSS total ${kib(totals.css[0])}, ${kib(totals.css[1])} gzip`);

  db = await startEmbeddedDatabase(undefined);
  app = await buildApp({ config: { ...loadConfig({ LOG_LEVEL: 'silent', DB_POOL_SIZE: '4', REGISTER_RATE_BURST: String(RUNS + 1) }), webAppDir: outDir }, databaseUrl: db.url });
  const origin = `http://127.0.0.1:${await app.start(0, '127.0.0.1')}`;

  const interactiveAt = (page: import('playwright-core').Page) =>
    page.waitForFunction(() => performance.getEntriesByName('sealed-relay:interactive')[0]?.startTime ?? null, null, { timeout: 30_000 }).then((h) => h.jsonValue() as Promise<number>);
  const first: number[] = [];
  const returning: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    first.push(await interactiveAt(page));
    await page.getByLabel('Username').fill(`size_${Date.now().toString(36)}_${i}`);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('.shell[data-ready="true"]').waitFor({ timeout: 60_000 });
    await page.reload();
    returning.push(await interactiveAt(page));
    await context.close();
  }
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `median ${s[Math.floor(s.length / 2)].toFixed(0)} ms, worst ${s[s.length - 1].toFixed(0)} ms (${s.length} loads)`;
  };
  console.log('time to interactive in Chromium (navigation start -> first screen usable):');
  console.log(`  first visit (welcome form):                         ${stat(first)}`);
  console.log(`  returning user (reload: device from IndexedDB, list): ${stat(returning)}`);
} finally {
  await browser.close();
  await app?.stop();
  await db?.stop();
  rmSync(outDir, { recursive: true, force: true });
}
