/**
 * The SDK as an app installs it: build the package (npm run build:client), `npm pack` it, install the
 * tarball into a fresh project outside the repo, and run the SDK README's quick start there with plain
 * Node (no TypeScript loader) against a server this test starts: two users exchange messages. The
 * install pulls none of the server's dependencies, the tarball holds no server code, and bundling the
 * installed package for the browser picks the IndexedDB build without `ws` or Node built-ins.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../../scripts/browser-bundle.js';
import { startServer, type TestServer } from '../server/harness.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const sdkDir = join(root, 'src/client');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const sdkPkg = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8'));
const npm = (args: string[], cwd: string) => exec('npm', args, { cwd, maxBuffer: 32 << 20, timeout: 240_000, env: { ...process.env, npm_config_update_notifier: 'false' } });

/**
 * What only the server needs: the root package's dependencies that the SDK does not declare. (graphql is
 * not among them: graphql-ws requires it as a peer, so npm installs it; the SDK never loads it.)
 */
const serverOnly = Object.keys(rootPkg.dependencies).filter((d) => !(d in sdkPkg.dependencies) && d !== 'graphql');

describe('the SDK package, installed from its tarball into a fresh project', () => {
  let work: string;
  let project: string;
  let files: string[];
  let server: TestServer;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sr-pack-'));
    project = join(work, 'app');
    await npm(['run', '-s', 'build:client'], root);
    const packed = JSON.parse((await npm(['pack', '--json', '--pack-destination', work], sdkDir)).stdout);
    files = packed[0].files.map((f: { path: string }) => f.path);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }));
    await npm(['install', join(work, packed[0].filename), '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], project);
    server = await startServer();
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the built SDK and the protocol library, and no server code or TypeScript sources', () => {
    expect(files).toContain('package.json');
    expect(files).toContain('dist/client/node.js');
    expect(files).toContain('dist/client/browser.js');
    expect(files).toContain('dist/client/index.d.ts');
    expect(files).toContain('dist/protocol/index.js');
    expect(files.filter((f) => f.includes('server'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs none of the server’s dependencies', async () => {
    const tree = JSON.parse((await npm(['ls', '--all', '--json'], project)).stdout);
    const installed = new Set<string>();
    const walk = (deps: Record<string, { dependencies?: object }> = {}) => {
      for (const [name, d] of Object.entries(deps)) {
        installed.add(name);
        walk(d.dependencies as never);
      }
    };
    walk(tree.dependencies);
    expect(installed).toContain('@sealed-relay/client');
    expect(serverOnly.length).toBeGreaterThan(10);
    expect(serverOnly.filter((d) => installed.has(d))).toEqual([]);
  });

  it('runs the README quick start in plain Node: two users exchange messages', async () => {
    copyFileSync(join(sdkDir, 'examples/quickstart.mjs'), join(project, 'quickstart.mjs'));
    const { stdout, stderr } = await exec(process.execPath, ['quickstart.mjs'], {
      cwd: project,
      timeout: 120_000,
      // a clean environment: no tsx loader from the test runner
      env: { PATH: process.env.PATH, SEALED_RELAY_URL: server.url },
    });
    expect(stderr).toBe('');
    expect(stdout.trim().split('\n')).toEqual([
      'Bob received: Hello Bob, only you can read this.',
      'Alice received: Hi Alice, from the same device after a restart.',
    ]);
  });

  it('bundles for the browser as the IndexedDB build, without ws or Node built-ins', async () => {
    const entry = join(project, 'browser-entry.mjs');
    writeFileSync(entry, "export { openIndexedDbStore, MessagingClient } from '@sealed-relay/client';\n");
    const { metafile } = await bundleForBrowser(entry);
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.some((i) => i.includes('node_modules/@sealed-relay/client/dist/client/browser.js'))).toBe(true);
    expect(inputs.some((i) => i.includes('node_modules/idb/'))).toBe(true);
    expect(inputs.filter((i) => i.includes('node_modules/ws/') || i.startsWith('node:') || i.includes('file-store'))).toEqual([]);
  });
});
