/**
 * The one interface every push service sits behind, and what a push attempt can come to. Providers turn a
 * push service's answer into an outcome; the notifier acts on it (remove the target, retry, give up).
 */
import type { PushKind } from './push-target.entity.js';
import type { PushTargetRecord } from './push-target.js';
import type { PushNotification } from './notification.js';

export type PushOutcome =
  /** The push service accepted the push (it stores and forwards it to the device). */
  | { kind: 'delivered' }
  /** The service says the target is dead (uninstalled, expired, unsubscribed): remove it. */
  | { kind: 'gone'; reason: string }
  /** Transient (overload, outage, network): try again, not before `afterMs` when the service said so. */
  | { kind: 'retry'; afterMs: number | null; reason: string }
  /** Refused for a reason a retry will not fix (bad credentials, bad request): logged, target kept. */
  | { kind: 'failed'; reason: string };

export interface PushProvider {
  /** The target kinds this provider delivers to. */
  readonly kinds: readonly PushKind[];
  /** Sends one push; never throws (every failure is an outcome). */
  send(target: PushTargetRecord, notification: PushNotification): Promise<PushOutcome>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

export const delivered: PushOutcome = { kind: 'delivered' };

/**
 * RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date, as milliseconds from `now`; null when absent or
 * unreadable (the caller then backs off on its own).
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** A network-level failure (refused, reset, timed out) is transient. */
export function networkRetry(err: unknown): PushOutcome {
  const e = err as NodeJS.ErrnoException;
  return { kind: 'retry', afterMs: null, reason: e?.code ?? e?.message ?? 'network error' };
}
