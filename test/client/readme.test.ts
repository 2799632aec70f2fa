/**
 * The SDK README's examples are files that tests run (examples/quickstart.mjs in test/package, examples/
 * browser.mjs in test/browser); the README includes each verbatim between `<!-- begin FILE -->` and
 * `<!-- end FILE -->`, and this fails when a copy drifts from its file.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../src/client/', import.meta.url);
const readme = readFileSync(new URL('README.md', dir), 'utf8');
const included = [...readme.matchAll(/<!-- begin (\S+) -->\n```js\n([\s\S]*?)```\n<!-- end \1 -->/g)].map((m) => ({ file: m[1], copy: m[2] }));

describe('the SDK README', () => {
  it('includes both examples', () => {
    expect(included.map((i) => i.file)).toEqual(['examples/quickstart.mjs', 'examples/browser.mjs']);
  });

  it.each(included)('has $file exactly as the file is', ({ file, copy }) => {
    expect(copy).toBe(readFileSync(new URL(file, dir), 'utf8'));
  });

  it('imports the package by its published name in every example', () => {
    const { name } = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8'));
    for (const { copy } of included) expect([...copy.matchAll(/from '([^']+)'/g)].map((m) => m[1])).toEqual([name]);
  });
});
