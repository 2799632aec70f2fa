/**
 * The server's dependency rules, read from the code's own imports (`npm run check:cycles` checks for import
 * cycles with madge; this checks the direction of the arrows):
 * - the shared kernel (src/server/kernel) imports nothing of the server;
 * - realtime/ is infrastructure: it imports no domain, no GraphQL layer, no composition root;
 * - services (every domain file that is not a `*.graphql.ts`, and db/, services.ts, events.ts) never import
 *   the GraphQL layer; only `*.graphql.ts`, graphql/ and the HTTP/app wiring do;
 * - domains depend on each other only downward (the table below);
 * - nothing in src/server imports src/client.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/server');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file, as paths relative to src/server (outside it: '../<path>' from src/server). */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const specs = [...src.matchAll(/(?:import|export)[^'";]*?from\s+['"]([^'"]+)['"]/g), ...src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(root, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
}

const files = walk(root).map((f) => ({ path: relative(root, f), imports: importsOf(f) }));
const top = (p: string) => (p.includes('/') ? p.split('/')[0] : p);
const DOMAINS = [
  'accounts',
  'attachments',
  'blocks',
  'calls',
  'conversations',
  'directory',
  'keys',
  'messages',
  'presence',
  'push',
  'ratelimit',
  'reports',
  'requests',
];
/**
 * Which other domains each domain may use (entities reference the rows they point at; services and schema
 * files use the services and types below them). Every domain may use accounts (users and devices).
 */
const MAY_USE: Record<string, string[]> = {
  accounts: ['ratelimit'],
  ratelimit: [],
  // trust (docs/trust.md): blocks sit just above accounts; the domains that enforce a block do so through
  // the shared SQL predicates (db/predicates.ts) or the blocks service
  blocks: ['accounts'],
  keys: ['accounts', 'ratelimit', 'blocks'],
  conversations: ['accounts', 'blocks'],
  messages: ['accounts', 'conversations', 'ratelimit', 'blocks'],
  calls: ['accounts', 'conversations'],
  attachments: ['accounts', 'messages'],
  presence: ['accounts', 'conversations', 'blocks'],
  push: ['accounts'],
  // spam reports name deliveries (Envelope.reportingToken); answering a message request uses all of them
  reports: ['accounts', 'messages'],
  requests: ['accounts', 'blocks', 'conversations', 'messages', 'reports'],
  directory: ['accounts', 'blocks', 'conversations', 'ratelimit'],
};
const isGraphqlLayer = (p: string) => top(p) === 'graphql' || p.endsWith('.graphql.ts');
const isWiring = (p: string) => ['app.ts', 'main.ts'].includes(p) || top(p) === 'http' || top(p) === 'graphql' || p.endsWith('.graphql.ts');

describe('src/server import boundaries', () => {
  it('finds the files it checks', () => {
    expect(files.length).toBeGreaterThan(40);
    for (const d of DOMAINS.filter((d) => d !== 'push')) expect(files.some((f) => top(f.path) === d), d).toBe(true);
  });

  it('the kernel imports nothing of the server but itself', () => {
    for (const f of files.filter((f) => top(f.path) === 'kernel')) {
      for (const i of f.imports) expect(top(i), `${f.path} imports ${i}`).toBe('kernel');
    }
  });

  it('realtime/ is infrastructure: no domain, GraphQL layer or composition root', () => {
    for (const f of files.filter((f) => top(f.path) === 'realtime')) {
      for (const i of f.imports) expect(['realtime', 'kernel'], `${f.path} imports ${i}`).toContain(top(i));
    }
  });

  it('services never import the GraphQL layer', () => {
    for (const f of files.filter((f) => !isWiring(f.path))) {
      for (const i of f.imports) expect(isGraphqlLayer(i), `${f.path} imports ${i}`).toBe(false);
    }
  });

  it('domains depend on each other only downward', () => {
    for (const f of files.filter((f) => DOMAINS.includes(top(f.path)))) {
      const own = top(f.path);
      for (const i of f.imports.filter((i) => DOMAINS.includes(top(i)) && top(i) !== own)) {
        expect(MAY_USE[own], `${f.path} imports ${i}`).toContain(top(i));
      }
    }
  });

  it('nothing in src/server imports src/client', () => {
    for (const f of files) for (const i of f.imports) expect(i.startsWith('../client/'), `${f.path} imports ${i}`).toBe(false);
  });
});
