/**
 * The SDK as a browser app gets it: an esbuild bundle of the package's browser entry (src/client/browser.ts,
 * which `exports["."].browser` is compiled from), ESM for the browser platform, where any Node built-in
 * would fail the build. Used by `npm run size` and the browser tests (test/browser/).
 */
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

export const BROWSER_ENTRY = fileURLToPath(new URL('../src/client/browser.ts', import.meta.url));

export async function bundleForBrowser(entry: string, opts: { minify?: boolean } = {}): Promise<{ code: string; metafile: Metafile }> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['browser'],
    minify: opts.minify ?? false,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { code: r.outputFiles[0].text, metafile: r.metafile };
}

export const bundleBrowserSdk = (opts: { minify?: boolean } = {}) => bundleForBrowser(BROWSER_ENTRY, opts);
