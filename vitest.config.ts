import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 has no exports map: without this vite loads index.mjs while CJS deps load index.js,
    // and `instanceof GraphQLError` fails across the two copies.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // a worker keeps the modules it imported from one test file to the next (the server and the protocol
    // library are imported once per worker, not once per file: a fifth of the suite's CPU went to imports);
    // test files share no state through modules beyond caches, each server test starts its own server
    isolate: false,
    // vitest's default on 2 cores is one worker, so a server test waiting on its database or a socket leaves a
    // core idle; three workers overlap I/O-bound files with CPU-bound ones (TEST_WORKERS overrides)
    maxWorkers: Number(process.env.TEST_WORKERS ?? 3),
    execArgv: ['--import', 'tsx'],
  },
});
