/** The SDK runs in browsers: no node:* imports outside the explicitly Node-only modules. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../src/client', import.meta.url));
const NODE_ONLY = new Set(['stores/file-store.ts', 'node.ts']);

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('client portability', () => {
  it('imports no node:* module, ws, Buffer or process outside the Node-only files', async () => {
    const offenders: string[] = [];
    for (const f of await files(root)) {
      const rel = relative(root, f).replaceAll('\\', '/');
      if (NODE_ONLY.has(rel)) continue;
      const src = (await readFile(f, 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      if (/^import[^;]*from\s+['"](node:|ws['"]|fs['"]|path['"]|crypto['"])/m.test(src) || /\bBuffer\.|\bprocess\./.test(src.replace(/process\.env\.CODEGEN/g, ''))) offenders.push(rel);
    }
    expect(offenders).toEqual([]);
  });
});
