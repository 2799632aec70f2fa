/**
 * The IndexedDB store in real Chromium: the same contract as the memory and file stores
 * (test/client/store-contract.ts, run inside the page), and the Web Lock that keeps one device's ratchet in
 * one tab: a second tab is refused (StoreLocked) or, if it asks to, waits until the first closes the store
 * or goes away, and then sees what the first one wrote.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleForBrowser } from '../../scripts/browser-bundle.js';
import { storeContract } from '../client/store-contract.js';
import { describeInChromium, launchChromium, onlyOrigin } from './chromium.js';
import type { StorePageApi } from './fixtures/store-page.js';

/** *.localhost is a secure context (Web Locks need one); every request to it is answered by the test. */
const ORIGIN = 'http://store-test.localhost';
declare const storeTests: StorePageApi;

describeInChromium('the IndexedDB store in Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let foreign: string[];

  beforeAll(async () => {
    const { code } = await bundleForBrowser(new URL('./fixtures/store-page.ts', import.meta.url).pathname);
    browser = await launchChromium();
    context = await browser.newContext();
    foreign = await onlyOrigin(context, ORIGIN);
    await context.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/store-page.js') return route.fulfill({ contentType: 'text/javascript', body: code });
      if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><script type="module" src="/store-page.js"></script>' });
      return route.fulfill({ status: 404, body: '' });
    });
  });
  afterAll(async () => {
    expect(foreign).toEqual([]);
    await browser?.close();
  });

  /** A new tab of the test app. */
  async function tab(): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => 'storeTests' in globalThis);
    return page;
  }

  let contractPage: Page;
  it.each(storeContract.map((c) => c.name))('%s', async (name) => {
    contractPage ??= await tab();
    expect(await contractPage.evaluate((n) => storeTests.runCase(n), name)).toBeNull();
  });

  it('refuses the store to a second tab while the first has it open, with StoreLocked', async () => {
    const [a, b] = [await tab(), await tab()];
    expect(await a.evaluate(() => storeTests.open('a', 'locked-1'))).toBe('open');
    expect(await b.evaluate(() => storeTests.open('b', 'locked-1'))).toBe('StoreLocked');
    // and within one tab, a second open of the same store is refused too
    expect(await a.evaluate(() => storeTests.open('a2', 'locked-1'))).toBe('StoreLocked');
    await a.evaluate(() => storeTests.close('a'));
    expect(await b.evaluate(() => storeTests.open('b', 'locked-1'))).toBe('open');
    await Promise.all([a.close(), b.close()]);
  });

  it('lets a second tab that asks to wait have the store once the first closes it, with what the first wrote', async () => {
    const [a, b] = [await tab(), await tab()];
    expect(await a.evaluate(() => storeTests.open('a', 'locked-2'))).toBe('open');
    await a.evaluate(() => storeTests.writeCredentials('a', 'written-by-a'));
    await b.evaluate(() => storeTests.startOpen('b', 'locked-2', true));
    expect(await b.evaluate(() => storeTests.outcome('b', 300))).toBe('pending');
    await a.evaluate(() => storeTests.close('a'));
    expect(await b.evaluate(() => storeTests.outcome('b', 5_000))).toBe('open');
    expect(await b.evaluate(() => storeTests.readCredentials('b'))).toBe('written-by-a');
    await Promise.all([a.close(), b.close()]);
  });

  it('frees the store when the tab holding it is closed', async () => {
    const [a, b] = [await tab(), await tab()];
    expect(await a.evaluate(() => storeTests.open('a', 'locked-3'))).toBe('open');
    await b.evaluate(() => storeTests.startOpen('b', 'locked-3', true));
    expect(await b.evaluate(() => storeTests.outcome('b', 300))).toBe('pending');
    await a.close();
    expect(await b.evaluate(() => storeTests.outcome('b', 5_000))).toBe('open');
    await b.close();
  });

  it('gives up waiting when the app aborts', async () => {
    const [a, b] = [await tab(), await tab()];
    expect(await a.evaluate(() => storeTests.open('a', 'locked-4'))).toBe('open');
    await b.evaluate(() => storeTests.startOpen('b', 'locked-4', true));
    await b.evaluate(() => storeTests.abortWait('b'));
    expect(await b.evaluate(() => storeTests.outcome('b', 5_000))).toBe('AbortError');
    await Promise.all([a.close(), b.close()]);
  });
});
