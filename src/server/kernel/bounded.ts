/**
 * A bounded pool for slow work (password-style hashing): at most `concurrency` jobs run at once and at most
 * `queue` wait; beyond that the caller is refused at once with ServerBusyError, instead of every request of
 * every user waiting behind a flood. scrypt runs on Node's small libuv thread pool, which token checks and file
 * I/O share: keeping hashing to a few threads leaves the rest free.
 */
import { DomainError } from './errors.js';

export class ServerBusyError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    what: string,
  ) {
    super('SERVER_BUSY', `${what}: too many at once, retry after ${retryAfterSeconds} s`);
  }
}

export class BoundedPool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
    private readonly what: string,
  ) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) throw new ServerBusyError(1, this.what);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
