/**
 * `npm run schema:check` (second half): regenerates the client documents from the committed
 * schema/schema.graphql and src/client/operations/*.graphql into a temporary folder and compares them
 * file by file with the committed src/client/generated/. Exits 1 when anything differs.
 * Runs from the project root it lives in, so a temporary copy of the project can be checked too.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
const committedDir = join(root, 'src/client/generated');

const { default: config } = await import('../codegen.js');
const tmp = await mkdtemp(join(tmpdir(), 'client-codegen-'));
try {
  const [target] = Object.values(config.generates);
  await generate({ ...config, cwd: root, silent: true, generates: { [`${tmp}/`]: target } }, true);
  const fresh = (await readdir(tmp)).sort();
  const committed = (await readdir(committedDir).catch(() => [] as string[])).sort();
  const problems: string[] = [];
  for (const f of new Set([...fresh, ...committed])) {
    const a = await readFile(join(tmp, f), 'utf8').catch(() => null);
    const b = await readFile(join(committedDir, f), 'utf8').catch(() => null);
    if (a === null) problems.push(`${f}: no longer generated`);
    else if (b === null) problems.push(`${f}: missing`);
    else if (a !== b) problems.push(`${f}: differs`);
  }
  if (problems.length) {
    console.error(`src/client/generated is out of date (${problems.join('; ')}): run \`npm run codegen\` and commit the result`);
    process.exitCode = 1;
  } else {
    console.log('src/client/generated is up to date');
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
