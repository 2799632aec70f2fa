/** Prometheus metrics of the push notifier (registered on the app's registry when given one). */
import { Counter, Gauge, Registry } from 'prom-client';

export function createPushMetrics(registry: Registry = new Registry()) {
  return {
    registry,
    /** What became of each notify call: queued, coalesced (joined a queued push), debounced (inside a device's window). */
    notifications: new Counter({
      name: 'push_notifications_total',
      help: 'Notify calls from the send path, by type and what became of them',
      labelNames: ['type', 'result'] as const,
      registers: [registry],
    }),
    /** Pushes dropped because the queue was full (the oldest queued push goes). */
    dropped: new Counter({ name: 'push_queue_dropped_total', help: 'Queued pushes dropped because the queue was full', registers: [registry] }),
    /** Jobs that ended without a push: device online, no targets, provider not configured, expired. */
    skipped: new Counter({ name: 'push_skipped_total', help: 'Pushes not sent, by reason', labelNames: ['reason'] as const, registers: [registry] }),
    /** Every attempt at a push service, by target kind and outcome (delivered, gone, retry, failed). */
    attempts: new Counter({
      name: 'push_attempts_total',
      help: 'Push attempts by target kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    /** Targets removed because their service declared them gone. */
    removed: new Counter({
      name: 'push_targets_removed_total',
      help: 'Push targets removed as gone',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    queueDepth: new Gauge({ name: 'push_queue_depth', help: 'Pushes waiting for a worker', registers: [registry] }),
  };
}

export type PushMetrics = ReturnType<typeof createPushMetrics>;
