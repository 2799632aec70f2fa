/**
 * `npm run size`: the SDK's browser bundle (scripts/browser-bundle.ts), minified and gzipped, and the
 * packages that weigh most in it.
 */
import { gzipSync } from 'node:zlib';
import { bundleBrowserSdk } from './browser-bundle.js';

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const { code, metafile } = await bundleBrowserSdk({ minify: true });
const bytes = Buffer.byteLength(code);
console.log(`browser bundle (src/client/browser.ts, esbuild, ESM): ${kib(bytes)} minified, ${kib(gzipSync(code, { level: 9 }).length)} gzip`);

const byPackage = new Map<string, number>();
const [output] = Object.values(metafile.outputs);
for (const [path, input] of Object.entries(output.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  const name = m ? m[1] : path.startsWith('src/protocol') ? 'src/protocol' : 'src/client';
  byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
}
for (const [name, n] of [...byPackage].sort((a, b) => b[1] - a[1])) console.log(`  ${name.padEnd(24)} ${kib(n).padStart(10)} minified`);
