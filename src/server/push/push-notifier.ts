/**
 * The push notifier: wakes devices that have no live inbox stream when an envelope is stored or a call rings.
 * Called from the send path, so `notifyEnvelope` and `notifyCall` only touch memory and return at once; they
 * never throw and never wait for I/O. Everything else happens on a bounded queue:
 *
 * - Queue: at most `maxQueue` pending pushes, one per device for messages (a second envelope joins the
 *   queued push), one per (device, call) for calls. When full, the oldest pending push is dropped and
 *   counted (`push_queue_dropped_total`): a newer wake-up for a device covers an older one.
 * - Workers: at most `concurrency` pushes in flight.
 * - Debounce: a device gets at most one message push per `debounceMs`. The first envelope of a burst is
 *   pushed at once; envelopes stored during the window are absorbed. When the window closes, one more push
 *   follows only if the device woke up during the window (it was active after the push) but has not been
 *   active since the last absorbed envelope: it may have fetched before that envelope arrived. A device that
 *   has not woken yet needs nothing more (the pending push makes it fetch everything), and with the push
 *   service's collapse key (Topic / collapse_key / apns-collapse-id) a second push would replace the first
 *   anyway. Calls bypass the debounce.
 * - Online check: `activity.isOnline(device)` when an envelope comes (outside a window); an online device's
 *   stream delivers, so it gets no push. An answer from memory settles it there, without a job; a promise
 *   (a remote source) is awaited by the worker. That check and the debounce keep the database out of the
 *   per-message path: a device's targets are read once per window, and only for offline devices.
 * - Outcomes: `gone` removes the target (unless re-registered meanwhile), `retry` is retried with
 *   exponential backoff and jitter (never sooner than the service's Retry-After, never past the push's
 *   expiry, at most `maxAttempts` attempts), `failed` is logged.
 *
 * Logs name target ids and kinds only: endpoint URLs and tokens are credentials.
 */
import type { Logger } from 'pino';
import type { DeviceActivity } from './device-activity.js';
import { callNotification, messagesNotification, type PushNotification } from './notification.js';
import type { PushKind } from './push-target.entity.js';
import type { PushTargetRecord } from './push-target.js';
import { createPushMetrics, type PushMetrics } from './push.metrics.js';
import { networkRetry, type PushOutcome, type PushProvider } from './provider.js';

export const DEFAULT_MAX_QUEUE = 10_000;
export const DEFAULT_CONCURRENCY = 32;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_BASE_MS = 1_000;
export const DEFAULT_BACKOFF_MAX_MS = 5 * 60_000;
/** A service asking for a longer pause than this (Retry-After) gets no retry of this push. */
export const DEFAULT_MAX_RETRY_DELAY_MS = 60 * 60_000;
/** PUSH_REWAKE_MS: a device that has not woken since its last delivered message push is not pushed again before this. */
export const DEFAULT_REWAKE_MS = 10 * 60_000;
/** Devices whose last delivered message push is remembered (the oldest are forgotten first: they may get one more push). */
const MAX_REMEMBERED_PUSHES = 200_000;
/** A call push is useless once the ring is over (CALL_RING_TIMEOUT_SECONDS). */
export const DEFAULT_CALL_TTL_SECONDS = 45;

/** Where the notifier finds a device's targets, and drops dead ones (PushTargetsService). */
export interface PushTargetSource {
  list(deviceUuid: string): Promise<PushTargetRecord[]>;
  removeGone(target: PushTargetRecord): Promise<boolean>;
}

export interface PushNotifierOptions {
  targets: PushTargetSource;
  providers: readonly PushProvider[];
  activity: DeviceActivity;
  /** PUSH_DEBOUNCE_MS */
  debounceMs: number;
  /**
   * PUSH_REWAKE_MS (default DEFAULT_REWAKE_MS): after a message push was delivered, the device gets the next one
   * only once it has been active since (it woke, fetched, and more came), or when this much time has passed (a
   * safety net for a wake-up lost on the way). 0: a push per debounce window, woken or not.
   */
  rewakeMs?: number;
  callTtlSeconds?: number;
  maxQueue?: number;
  concurrency?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  maxRetryDelayMs?: number;
  log?: Logger;
  metrics?: PushMetrics;
  /** Jitter source in [0, 1). */
  random?: () => number;
  now?: () => number;
}

type Job =
  | { kind: 'messages'; deviceUuid: string; envelopeId: string; urgent: boolean; online?: Promise<boolean> }
  | { kind: 'call'; deviceUuid: string; callId: string }
  | { kind: 'retry'; target: PushTargetRecord; notification: PushNotification; attempt: number };

interface Window {
  openedAt: number;
  timer: NodeJS.Timeout;
  /** Envelopes stored during the window: the first one's id, whether any was urgent, when the last came. */
  absorbed: { envelopeId: string; urgent: boolean; lastAt: number } | null;
}

export interface PushNotifierStats {
  queued: number;
  inFlight: number;
  retrying: number;
  windows: number;
}

export class PushNotifier {
  readonly metrics: PushMetrics;
  private readonly providers = new Map<PushKind, PushProvider>();
  private readonly queue = new Map<string, Job>();
  private readonly windows = new Map<string, Window>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  /** When each device's last message push was delivered (epoch ms), oldest first. */
  private readonly lastPushed = new Map<string, number>();
  /** Window closings still deciding (asynchronously) whether to push again. */
  private closing = 0;
  private inFlight = 0;
  private pumpScheduled = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: PushNotifierOptions) {
    this.metrics = opts.metrics ?? createPushMetrics();
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    for (const p of opts.providers) for (const k of p.kinds) this.providers.set(k, p);
  }

  /** The kinds some provider delivers to (what PushTargetsService should accept). */
  get enabledKinds(): PushKind[] {
    return [...this.providers.keys()];
  }

  /** An envelope was stored for the device (after commit). Returns at once; never throws. */
  notifyEnvelope(deviceUuid: string, envelopeId: string, opts: { urgent?: boolean } = {}): void {
    try {
      if (this.closed) return;
      const urgent = opts.urgent === true;
      const w = this.windows.get(deviceUuid);
      if (w) {
        if (w.absorbed) {
          w.absorbed.urgent ||= urgent;
          w.absorbed.lastAt = this.now();
        } else {
          w.absorbed = { envelopeId, urgent, lastAt: this.now() };
        }
        this.metrics.notifications.inc({ type: 'messages', result: 'debounced' });
        return;
      }
      const key = `m:${deviceUuid}`;
      const queued = this.queue.get(key);
      if (queued?.kind === 'messages') {
        queued.urgent ||= urgent;
        this.metrics.notifications.inc({ type: 'messages', result: 'coalesced' });
        return;
      }
      // an activity source that answers from memory settles the common case (recipient online) here, with no job
      const online = this.probeOnline(deviceUuid);
      if (online === true) {
        this.metrics.skipped.inc({ reason: 'online' });
        return;
      }
      this.enqueue(key, { kind: 'messages', deviceUuid, envelopeId, urgent, online: online === false ? undefined : online });
      this.metrics.notifications.inc({ type: 'messages', result: 'queued' });
    } catch (err) {
      this.opts.log?.error({ err }, 'push notifyEnvelope failed');
    }
  }

  /** A call rings on the device: a high-priority push, past any debounce. Returns at once; never throws. */
  notifyCall(deviceUuid: string, callId: string): void {
    try {
      if (this.closed) return;
      const key = `c:${deviceUuid}:${callId}`;
      if (this.queue.has(key)) {
        this.metrics.notifications.inc({ type: 'call', result: 'coalesced' });
        return;
      }
      this.enqueue(key, { kind: 'call', deviceUuid, callId });
      this.metrics.notifications.inc({ type: 'call', result: 'queued' });
    } catch (err) {
      this.opts.log?.error({ err }, 'push notifyCall failed');
    }
  }

  stats(): PushNotifierStats {
    return { queued: this.queue.size, inFlight: this.inFlight, retrying: this.retries.size, windows: this.windows.size };
  }

  /**
   * Resolves when nothing is queued, in flight or waiting for a retry, and no debounce window holds envelopes
   * that may need another push (for tests and an orderly shutdown).
   */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work, cancels timers and waits for pushes in flight. Providers are closed by their owner. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.windows.values()) clearTimeout(w.timer);
    this.windows.clear();
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
    this.queue.clear();
    this.metrics.queueDepth.set(0);
    await this.idle();
  }

  private isIdle(): boolean {
    if (this.queue.size || this.inFlight || this.retries.size || this.closing || this.pumpScheduled) return false;
    for (const w of this.windows.values()) if (w.absorbed) return false;
    return true;
  }

  private checkIdle(): void {
    if (!this.idleWaiters.length || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of waiters) f();
  }

  private enqueue(key: string, job: Job): void {
    this.queue.delete(key);
    if (this.queue.size >= (this.opts.maxQueue ?? DEFAULT_MAX_QUEUE)) {
      const oldest = this.queue.keys().next().value!;
      this.queue.delete(oldest);
      this.metrics.dropped.inc();
    }
    this.queue.set(key, job);
    this.metrics.queueDepth.set(this.queue.size);
    this.schedulePump();
  }

  /** Workers start on a later turn, so that a synchronous burst of notify calls coalesces in the queue first. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
      this.checkIdle();
    });
  }

  private pump(): void {
    const concurrency = this.opts.concurrency ?? DEFAULT_CONCURRENCY;
    while (!this.closed && this.inFlight < concurrency && this.queue.size > 0) {
      const [key, job] = this.queue.entries().next().value!;
      this.queue.delete(key);
      this.inFlight++;
      this.run(job)
        .catch((err) => this.opts.log?.error({ err }, 'push job failed'))
        .finally(() => {
          this.inFlight--;
          this.pump();
          this.checkIdle();
        });
    }
    this.metrics.queueDepth.set(this.queue.size);
  }

  /** The presence answer as it comes: a boolean from memory, or a promise (never rejecting) from a remote source. */
  private probeOnline(deviceUuid: string): boolean | Promise<boolean> {
    const fail = (err: unknown) => {
      // unknown presence: push (a needless wake-up beats a missed message)
      this.opts.log?.warn({ err }, 'push: presence check failed');
      return false;
    };
    try {
      const r = this.opts.activity.isOnline(deviceUuid);
      return typeof r === 'boolean' ? r : Promise.resolve(r).catch(fail);
    } catch (err) {
      return fail(err);
    }
  }

  private async isOnline(deviceUuid: string): Promise<boolean> {
    return this.probeOnline(deviceUuid);
  }

  private async activeSince(deviceUuid: string, since: number): Promise<boolean> {
    if (!this.opts.activity.activeSince) return true;
    try {
      return await this.opts.activity.activeSince(deviceUuid, since);
    } catch {
      return true;
    }
  }

  private async run(job: Job): Promise<void> {
    switch (job.kind) {
      case 'messages': {
        // the window opens before any await: envelopes arriving from now on join it
        this.openWindow(job.deviceUuid);
        if (await (job.online ?? this.isOnline(job.deviceUuid))) {
          this.dropWindow(job.deviceUuid);
          this.metrics.skipped.inc({ reason: 'online' });
          return;
        }
        if (!job.urgent && (await this.awaitingWakeUp(job.deviceUuid))) {
          // its last push is still unanswered: that one makes it fetch everything (the window stays open)
          this.metrics.skipped.inc({ reason: 'awaiting_wakeup' });
          return;
        }
        await this.pushAll(job.deviceUuid, messagesNotification(job.envelopeId, job.urgent, this.now()));
        return;
      }
      case 'call':
        if (await this.isOnline(job.deviceUuid)) {
          this.metrics.skipped.inc({ reason: 'online' });
          return;
        }
        await this.pushAll(job.deviceUuid, callNotification(job.callId, this.opts.callTtlSeconds ?? DEFAULT_CALL_TTL_SECONDS, this.now()));
        return;
      case 'retry':
        if (this.now() >= job.notification.expiresAt) {
          this.metrics.skipped.inc({ reason: 'expired' });
          return;
        }
        if (await this.isOnline(job.target.deviceUuid)) {
          this.metrics.skipped.inc({ reason: 'online' });
          return;
        }
        await this.attempt(job.target, job.notification, job.attempt);
    }
  }

  /** A message push was delivered to the device recently, and it has not been active since. */
  private async awaitingWakeUp(deviceUuid: string): Promise<boolean> {
    const last = this.lastPushed.get(deviceUuid);
    if (last === undefined || this.now() - last >= (this.opts.rewakeMs ?? DEFAULT_REWAKE_MS)) return false;
    return !(await this.activeSince(deviceUuid, last));
  }

  private rememberPush(deviceUuid: string): void {
    const now = this.now();
    const rewake = this.opts.rewakeMs ?? DEFAULT_REWAKE_MS;
    if (rewake <= 0) return;
    this.lastPushed.delete(deviceUuid);
    this.lastPushed.set(deviceUuid, now);
    for (const [d, at] of this.lastPushed) {
      if (now - at < rewake && this.lastPushed.size <= MAX_REMEMBERED_PUSHES) break;
      this.lastPushed.delete(d);
    }
  }

  private async pushAll(deviceUuid: string, n: PushNotification): Promise<void> {
    let targets: PushTargetRecord[];
    try {
      targets = await this.opts.targets.list(deviceUuid);
    } catch (err) {
      this.opts.log?.error({ err }, 'push: cannot read targets');
      this.metrics.skipped.inc({ reason: 'error' });
      return;
    }
    if (targets.length === 0) {
      this.metrics.skipped.inc({ reason: 'no_targets' });
      return;
    }
    await Promise.all(targets.map((t) => this.attempt(t, n, 1)));
  }

  private retryKey(target: PushTargetRecord, n: PushNotification): string {
    return `r:${target.id}:${n.type === 'call' ? n.callId : 'messages'}`;
  }

  private async attempt(target: PushTargetRecord, n: PushNotification, attempt: number): Promise<void> {
    const provider = this.providers.get(target.kind);
    if (!provider) {
      this.metrics.skipped.inc({ reason: 'unconfigured' });
      return;
    }
    // this push supersedes a retry of the same notification to the same target still waiting
    const key = this.retryKey(target, n);
    const waiting = this.retries.get(key);
    if (waiting) {
      clearTimeout(waiting);
      this.retries.delete(key);
    }
    this.queue.delete(key);
    let outcome: PushOutcome;
    try {
      outcome = await provider.send(target, n);
    } catch (err) {
      outcome = networkRetry(err);
    }
    this.metrics.attempts.inc({ kind: target.kind, outcome: outcome.kind });
    switch (outcome.kind) {
      case 'delivered':
        if (n.type === 'messages') this.rememberPush(target.deviceUuid);
        return;
      case 'gone':
        try {
          if (await this.opts.targets.removeGone(target)) this.metrics.removed.inc({ kind: target.kind });
          this.opts.log?.info({ targetId: target.id, kind: target.kind, reason: outcome.reason }, 'push target gone: removed');
        } catch (err) {
          this.opts.log?.error({ err, targetId: target.id }, 'push: cannot remove a gone target');
        }
        return;
      case 'failed':
        this.opts.log?.warn({ targetId: target.id, kind: target.kind, reason: outcome.reason }, 'push failed');
        return;
      case 'retry':
        this.scheduleRetry(key, target, n, attempt, outcome.afterMs, outcome.reason);
    }
  }

  private scheduleRetry(key: string, target: PushTargetRecord, n: PushNotification, attempt: number, afterMs: number | null, reason: string): void {
    if (this.closed) return;
    const maxAttempts = this.opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const giveUp = (why: string) => {
      this.metrics.skipped.inc({ reason: why });
      this.opts.log?.warn({ targetId: target.id, kind: target.kind, attempt, reason }, `push not retried: ${why}`);
    };
    if (attempt >= maxAttempts) return giveUp('attempts_exhausted');
    const base = this.opts.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS;
    const cap = this.opts.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS;
    // exponential backoff with jitter in [0.5, 1.5) of the step, so that many targets failing together spread out
    const backoff = Math.min(cap, base * 2 ** (attempt - 1)) * (0.5 + this.random());
    const delay = Math.max(afterMs ?? 0, backoff);
    if (delay > (this.opts.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS)) return giveUp('retry_after_too_long');
    if (this.now() + delay >= n.expiresAt) return giveUp('expired');
    if (this.retries.size >= (this.opts.maxQueue ?? DEFAULT_MAX_QUEUE)) {
      this.metrics.dropped.inc();
      return;
    }
    const timer = setTimeout(() => {
      this.retries.delete(key);
      if (!this.closed) this.enqueue(key, { kind: 'retry', target, notification: n, attempt: attempt + 1 });
      this.checkIdle();
    }, delay);
    timer.unref();
    this.retries.set(key, timer);
  }

  private openWindow(deviceUuid: string): void {
    const existing = this.windows.get(deviceUuid);
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => this.closeWindow(deviceUuid), this.opts.debounceMs);
    timer.unref();
    this.windows.set(deviceUuid, { openedAt: this.now(), timer, absorbed: existing?.absorbed ?? null });
  }

  private dropWindow(deviceUuid: string): void {
    const w = this.windows.get(deviceUuid);
    if (!w) return;
    clearTimeout(w.timer);
    this.windows.delete(deviceUuid);
    this.checkIdle();
  }

  private closeWindow(deviceUuid: string): void {
    const w = this.windows.get(deviceUuid);
    if (!w) return;
    this.windows.delete(deviceUuid);
    const absorbed = w.absorbed;
    if (!absorbed || this.closed) return this.checkIdle();
    this.closing++;
    void (async () => {
      try {
        // woke up after the push, but not active since the last envelope came: it may have missed that one
        const wokeUp = await this.activeSince(deviceUuid, w.openedAt);
        const sawLatest = wokeUp && this.opts.activity.activeSince ? await this.activeSince(deviceUuid, absorbed.lastAt) : false;
        if (!wokeUp || sawLatest) {
          this.metrics.skipped.inc({ reason: 'covered' });
          return;
        }
        if (this.closed || this.windows.has(deviceUuid) || this.queue.has(`m:${deviceUuid}`)) return;
        this.enqueue(`m:${deviceUuid}`, { kind: 'messages', deviceUuid, envelopeId: absorbed.envelopeId, urgent: absorbed.urgent });
      } finally {
        this.closing--;
        this.checkIdle();
      }
    })();
  }
}
