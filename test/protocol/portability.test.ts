// src/protocol must run unchanged in a browser: it imports only @noble/* and its own files, and
// touches no Node globals.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../src/protocol/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('src/protocol portability', () => {
  it.each(files)('%s imports only @noble/* and sibling modules, and no Node globals', (file) => {
    const src = readFileSync(new URL(file, dir), 'utf8');
    const specifiers = [...src.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g), ...src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
    for (const s of specifiers) expect(s, `${file} imports ${s}`).toMatch(/^(@noble\/(curves|hashes|ciphers|post-quantum)\/[\w-]+\.js|\.\/[\w-]+\.js)$/);
    const code = src.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    expect(code).not.toMatch(/\bBuffer\b(?!Source)|\bprocess\.|\brequire\(|\b__dirname\b|\bglobal\./);
  });
});
