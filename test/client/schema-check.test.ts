/**
 * `npm run schema:check` (scripts/print-schema.ts --check + scripts/check-generated.ts) passes when
 * schema/schema.graphql and src/client/generated match the code, and fails when either is stale. Run in
 * a temporary copy of the project so the working tree is never dirtied.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
let copy: string;
/** `schema:check` in the fresh copy, before any edit (made consistent first if the working tree was not). */
let initial: { code: number; out: string };

async function run(script: string, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await exec(process.execPath, ['--import', 'tsx', script, ...args], { cwd: copy, maxBuffer: 10 << 20 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}
const check = async () => {
  const schema = await run('scripts/print-schema.ts', '--check');
  if (schema.code !== 0) return schema;
  const client = await run('scripts/check-generated.ts');
  return { code: client.code, out: schema.out + client.out };
};
const codegen = async () => {
  expect((await run('scripts/print-schema.ts')).code).toBe(0);
  const r = await exec(process.execPath, [join(root, 'node_modules/@graphql-codegen/cli/cjs/bin.js'), '--config', 'codegen.ts'], { cwd: copy, maxBuffer: 10 << 20 });
  return r;
};
async function edit(file: string, fn: (s: string) => string): Promise<() => Promise<void>> {
  const path = join(copy, file);
  const before = await readFile(path, 'utf8');
  const after = fn(before);
  expect(after).not.toBe(before);
  await writeFile(path, after);
  return () => writeFile(path, before);
}

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'schema-check-'));
  for (const p of ['src', 'schema', 'scripts', 'migrations', 'codegen.ts', 'package.json', 'tsconfig.json']) {
    await cp(join(root, p), join(copy, p), { recursive: true, filter: (s) => !s.includes('node_modules') && !s.includes('.data') });
  }
  await symlink(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
  // start from a consistent copy, whatever state the shared working tree is in (regenerate only if it is not)
  initial = await check();
  if (initial.code !== 0) {
    await codegen();
    initial = await check();
  }
}, 180_000);
afterAll(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
});

describe('schema:check', () => {
  it('passes when the printed schema and the generated client are up to date', () => {
    const r = initial;
    expect(r.out).toContain('schema/schema.graphql is up to date');
    expect(r.out).toContain('src/client/generated is up to date');
    expect(r.code).toBe(0);
  }, 120_000);

  it('fails when the Pothos schema changed without printing it', async () => {
    const restore = await edit('src/server/accounts/accounts.graphql.ts', (s) => s.replace("description: 'The authenticated user.'", "description: 'The authenticated user (changed).'"));
    try {
      const r = await check();
      expect(r.code).toBe(1);
      expect(r.out).toContain('schema/schema.graphql is out of date: run `npm run codegen`');
    } finally {
      await restore();
    }
  }, 120_000);

  it('fails when an operation changed without regenerating the client', async () => {
    const restore = await edit('src/client/operations/accounts.graphql', (s) => s.replace('query MyDevice {\n  myDevice {', 'query MyDevice {\n  myDevice {\n    name'));
    try {
      // the schema half is unaffected by an operation (the first test shows it passes): the client half fails
      const r = await run('scripts/check-generated.ts');
      expect(r.code).toBe(1);
      expect(r.out).toContain('src/client/generated is out of date');
    } finally {
      await restore();
    }
  }, 120_000);

  it('fails when the printed schema changed (a field the client uses is gone) without regenerating the client', async () => {
    const restore = await edit('schema/schema.graphql', (s) => s.replace('  """Shown only for the caller\'s own devices."""\n  lastSeenAt: DateTime\n', ''));
    try {
      const r = await run('scripts/check-generated.ts');
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/lastSeenAt/);
    } finally {
      await restore();
    }
  }, 120_000);

  it('fails when a generated file was edited by hand', async () => {
    const restore = await edit('src/client/generated/graphql.ts', (s) => `${s}\n// hand edit\n`);
    try {
      const r = await run('scripts/check-generated.ts');
      expect(r.code).toBe(1);
      expect(r.out).toContain('graphql.ts: differs');
    } finally {
      await restore();
    }
  }, 120_000);
});
