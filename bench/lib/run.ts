/**
 * How a benchmark script runs and fails: cleanups (children, databases) registered as they are created and
 * run in reverse order on every exit path, and `fatal()` for a failure that must stop the run at once and
 * loudly (a child that died, a lost message): it prints, cleans up and exits non-zero. No benchmark
 * prints figures after something it depends on has broken.
 */

type Cleanup = () => Promise<void> | void;

const cleanups: Cleanup[] = [];
const CLEANUP_TIMEOUT_MS = 15_000;
let exiting = false;

/** Registers a cleanup; returns a function that unregisters it (for resources released normally). */
export function onCleanup(fn: Cleanup): () => void {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

async function runCleanups(): Promise<void> {
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, CLEANUP_TIMEOUT_MS).unref());
  const all = (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        console.error('cleanup failed:', err);
      }
    }
  })();
  await Promise.race([all, timeout]);
}

/** Stops the run now: prints `message`, cleans up, exits with status 1. */
export function fatal(message: string): void {
  if (exiting) return;
  exiting = true;
  console.error(`\nFATAL: ${message}\n`);
  void runCleanups().finally(() => process.exit(1));
}

/**
 * Runs a benchmark's body; a thrown error is fatal. Resolves `process.exitCode` (set to 1 by a failed
 * hard check) into the process status once everything is cleaned up.
 */
export async function runBenchmark(body: () => Promise<void>): Promise<void> {
  process.once('SIGINT', () => fatal('interrupted'));
  process.on('unhandledRejection', (err) => fatal(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  try {
    await body();
  } catch (err) {
    fatal(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return;
  }
  if (exiting) return;
  exiting = true;
  await runCleanups();
  process.exit(process.exitCode ?? 0);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
