/**
 * Runs async jobs one at a time, in call order: the one promise-chain lock of the SDK (session records are
 * read, advanced and written back across awaits; sends leave in call order; key uploads never overlap;
 * store read-modify-writes stay atomic). A failed job does not stop the ones after it.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  /** Resolves once every job queued so far has finished. */
  async idle(): Promise<void> {
    let tail;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
  }
}
