/**
 * Builds the push domain from configuration: a provider per configured service, the targets service that
 * accepts exactly the kinds some provider delivers to, and the notifier. Each service is off when its
 * configuration is unset; Web Push runs on generated VAPID keys in the embedded setup (`generateVapid`).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { ApnsProvider } from './apns.provider.js';
import type { DeviceActivity } from './device-activity.js';
import { FcmProvider } from './fcm.provider.js';
import type { PushProvider } from './provider.js';
import { PushNotifier, type PushNotifierOptions } from './push-notifier.js';
import { PushTargetsService } from './push-targets.service.js';
import { createPushMetrics } from './push.metrics.js';
import { resolveVapidKeys } from './vapid.js';
import { WebPushProvider } from './web-push.provider.js';

export interface PushDomain {
  targets: PushTargetsService;
  notifier: PushNotifier;
  providers: PushProvider[];
  /** The VAPID public key (base64url) browsers subscribe with (`applicationServerKey`); undefined when Web Push is off. */
  vapidPublicKey?: string;
  /** Stops the notifier (waits for pushes in flight) and closes provider connections. */
  close(): Promise<void>;
}

export async function createPush(deps: {
  config: Config;
  orm: MikroORM;
  activity: DeviceActivity;
  /** Generate and keep VAPID keys under DATA_DIR when none are configured (the embedded setup). */
  generateVapid: boolean;
  log?: Logger;
  registry?: Registry;
  /** Notifier tuning (queue bound, concurrency, retries), for tests and benchmarks. */
  notifier?: Partial<Omit<PushNotifierOptions, 'targets' | 'providers' | 'activity' | 'log' | 'metrics'>>;
}): Promise<PushDomain> {
  const { config } = deps;
  const push = config.push;
  const vapid = await resolveVapidKeys(push, { dataDir: config.dataDir, generate: deps.generateVapid });
  const providers: PushProvider[] = [new WebPushProvider({ vapid, subject: push.vapidSubject, allowLoopbackEndpoints: push.allowLoopbackEndpoints })];
  if (push.fcm) providers.push(new FcmProvider(push.fcm));
  if (push.apns) providers.push(new ApnsProvider(push.apns));
  const enabledKinds = [...new Set(providers.flatMap((p) => p.kinds))];
  const targets = new PushTargetsService(deps.orm, { enabledKinds, allowLoopbackEndpoints: push.allowLoopbackEndpoints });
  const notifier = new PushNotifier({
    targets,
    providers,
    activity: deps.activity,
    debounceMs: push.debounceMs,
    rewakeMs: push.rewakeMs,
    callTtlSeconds: config.callRingTimeoutSeconds,
    log: deps.log,
    metrics: createPushMetrics(deps.registry),
    ...deps.notifier,
  });
  return {
    targets,
    notifier,
    providers,
    vapidPublicKey: vapid?.publicKey,
    async close() {
      await notifier.close();
      await Promise.all(providers.map((p) => p.close()));
    },
  };
}
