/**
 * Type-level test: misuses of the generated documents fail `tsc --noEmit` with the expected errors.
 * test/types/fixtures/*.ts mark each misuse with `@ts-expect-error TSnnnn`; this test compiles them as they
 * are (must pass: every directive is used) and with the directives removed (must fail with exactly the
 * named errors on the named lines).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'test/types/fixtures');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

async function compile(project: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', project], { cwd: root, maxBuffer: 10 << 20 });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  }
}

describe('generated operation types', () => {
  it('the fixtures compile with their @ts-expect-error directives (each marks a real error)', async () => {
    const r = await compile('test/types/tsconfig.json');
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);

  it('without the directives, tsc --noEmit fails with the expected error on each marked line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'client-types-'));
    try {
      const expected: string[] = [];
      for (const f of (await readdir(fixtures)).filter((x) => x.endsWith('.ts'))) {
        const lines = (await readFile(join(fixtures, f), 'utf8')).split('\n');
        const out = lines.map((line, i) => {
          const m = /^\s*\/\/ @ts-expect-error (TS\d+)/.exec(line);
          if (!m) return line.replaceAll("'../../../src/", `'${root.replaceAll('\\', '/')}src/`);
          expected.push(`${f}(${i + 2}): ${m[1]}`);
          return '';
        });
        await writeFile(join(dir, f), out.join('\n'));
      }
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          extends: join(root, 'tsconfig.json'),
          compilerOptions: { noEmit: true, typeRoots: [join(root, 'node_modules/@types')] },
          include: [join(dir, '*.ts')],
        }),
      );
      const r = await compile(join(dir, 'tsconfig.json'));
      expect(r.code).not.toBe(0);
      const got = [...r.out.matchAll(/([\w.-]+\.ts)\((\d+),\d+\): error (TS\d+)/g)]
        .map((m) => `${m[1]}(${m[2]}): ${m[3]}`);
      expect(expected.length).toBeGreaterThanOrEqual(6);
      expect(got.sort()).toEqual(expected.sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
