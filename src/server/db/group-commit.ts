/**
 * Group commit: calls that arrive while one batch is being stored wait and go together into the next
 * batch, one statement (one round trip, one commit) for all of them. One batch is in flight at a time, so
 * batches never contend with each other for rows; under light load a batch holds one item and adds no
 * wait. Each caller gets its own result.
 */
export interface GroupCommitOptions<I, O> {
  /** Stores a batch; returns one result per item, in order. */
  run(batch: I[]): Promise<O[]>;
  /**
   * Decides, in queue order, which waiting items join the next batch (a fresh predicate per batch, asked
   * about every waiting item; the first one joins even if refused). Items left out keep their place for the
   * next batch. Default: all.
   */
  admit?: () => (item: I) => boolean;
  /** When a batch fails as a whole: 'reject' every caller with the error, or run each item 'alone'. */
  onBatchError: 'reject' | 'alone';
}

export class GroupCommit<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;
  /** Batches run and the items they carried (group commit at work when batches < items). */
  readonly stats = { batches: 0, items: 0 };

  constructor(private readonly opts: GroupCommitOptions<I, O>) {}

  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const admit = this.opts.admit?.();
        const batch: typeof this.queue = [];
        const rest: typeof this.queue = [];
        for (const w of this.queue) ((admit ? admit(w.item) : true) || batch.length === 0 ? batch : rest).push(w);
        this.queue = rest;
        this.stats.batches++;
        this.stats.items += batch.length;
        try {
          const out = await this.opts.run(batch.map((w) => w.item));
          for (const [i, w] of batch.entries()) w.resolve(out[i]);
        } catch (err) {
          if (this.opts.onBatchError === 'reject') for (const w of batch) w.reject(err);
          else await Promise.all(batch.map((w) => this.opts.run([w.item]).then((o) => w.resolve(o[0]), w.reject)));
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
