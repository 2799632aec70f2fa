/**
 * `npm run schema:print` writes the sorted SDL of the Pothos schema to schema/schema.graphql;
 * `npm run schema:check` fails when the committed file differs from the code.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { printSortedSchema } from '../src/server/graphql/schema.js';

const file = new URL('../schema/schema.graphql', import.meta.url);
const sdl = printSortedSchema();
if (process.argv.includes('--check')) {
  const committed = await readFile(file, 'utf8').catch(() => '');
  if (committed !== sdl) {
    console.error('schema/schema.graphql is out of date: run `npm run codegen` (or `npm run schema:print`) and commit the result');
    process.exit(1);
  }
  console.log('schema/schema.graphql is up to date');
} else {
  await writeFile(file, sdl);
  console.log('wrote schema/schema.graphql');
}
