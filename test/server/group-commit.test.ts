/**
 * Group commit (db/group-commit.ts): calls that arrive while a batch is stored share the next batch, and a
 * batch that fails as a whole never fails an innocent caller: with onBatchError 'alone' each of its items runs
 * by itself and meets its own outcome.
 */
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/server/db/group-commit.js';

describe('group commit', () => {
  it("a batch that fails because of one caller's item is retried item by item: only that caller fails", async () => {
    const runs: string[][] = [];
    const gc = new GroupCommit<string, string>({
      onBatchError: 'alone',
      run: async (batch) => {
        runs.push(batch);
        await new Promise((r) => setTimeout(r, 5));
        if (batch.includes('poison')) throw new Error('statement failed');
        return batch.map((x) => `ok:${x}`);
      },
    });
    const calls = ['a', 'b', 'poison', 'c', 'd'].map((x) => gc.submit(x).then((v) => v, (e: Error) => `failed:${e.message}`));
    // the first call goes alone, the four that queued meanwhile share a batch, which fails and is split up
    expect(await Promise.all(calls)).toEqual(['ok:a', 'ok:b', 'failed:statement failed', 'ok:c', 'ok:d']);
    expect(runs[0]).toEqual(['a']);
    expect(runs[1]).toEqual(['b', 'poison', 'c', 'd']);
    expect(runs.slice(2).map((b) => b.length)).toEqual([1, 1, 1, 1]);
  });

  it("with onBatchError 'reject' the whole batch is refused (for callers that must share fate)", async () => {
    const gc = new GroupCommit<string, string>({
      onBatchError: 'reject',
      run: async (batch) => {
        await new Promise((r) => setTimeout(r, 5));
        if (batch.includes('poison')) throw new Error('x');
        return batch;
      },
    });
    const out = await Promise.all(['a', 'b', 'poison'].map((x) => gc.submit(x).then(() => 'ok', () => 'failed')));
    expect(out).toEqual(['ok', 'failed', 'failed']);
  });
});
