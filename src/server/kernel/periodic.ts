/**
 * A task run on a schedule, never twice at once: the one scheduler behind every sweeper (expired messages,
 * missed calls, orphaned attachments). Failures are logged and the schedule goes on.
 */
import type { Logger } from 'pino';

export class Periodic<T = unknown> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    readonly name: string,
    private readonly task: () => Promise<T>,
    private readonly log?: Logger,
  ) {}

  /** Runs the task once now (waits for a run already in progress first). */
  async runOnce(): Promise<T> {
    await this.running;
    const run = this.task();
    this.running = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  /** Runs the task every `intervalMs` (0 or less: never). */
  start(intervalMs: number): void {
    if (this.timer || intervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.task()
        .catch((err) => this.log?.error({ err, task: this.name }, `${this.name} failed`))
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
