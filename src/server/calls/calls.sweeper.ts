/**
 * Marks ringing calls nobody answered within CALL_RING_TIMEOUT_SECONDS as MISSED (one UPDATE per batch over
 * the partial index of ringing calls) and publishes MISSED to their participants. The state lives in the
 * database, so a call rung before a restart, or on another instance, is swept all the same; concurrent
 * sweeps on several instances skip each other's rows (FOR UPDATE SKIP LOCKED).
 */
import type { Logger } from 'pino';
import type { CallsService } from './calls.service.js';

export class CallSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly calls: CallsService,
    private readonly log?: Logger,
  ) {}

  /** One sweep; returns the ids of the calls marked missed. */
  async sweepOnce(): Promise<string[]> {
    const ids = await this.calls.sweepMissed();
    if (ids.length) this.log?.info({ missedCalls: ids.length }, 'call sweep');
    return ids;
  }

  /** Sweeps every `intervalMs` (never two sweeps at once). */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweepOnce()
        .catch((err) => this.log?.error({ err }, 'call sweep failed'))
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the schedule and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
