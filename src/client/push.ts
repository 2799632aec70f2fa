/**
 * Push for the SDK: register where this device is woken when it has no live inbox stream (registerPush /
 * removePush), what the server offers (pushConfig), and, for a notification extension or service worker
 * that runs without the app, `fetchAndDecrypt` in Receiver (receiving.ts).
 *
 * A push carries nothing but `{"type":"messages"}` (or `{"type":"call","callId"}`): the woken code fetches
 * over its own connection and decrypts on the device.
 */
import type { ClientContext } from './context.js';
import {
  MyPushTargetsDocument,
  type PushKind,
  PushConfigDocument,
  type PushTargetFieldsFragment,
  RegisterPushTargetDocument,
  RemovePushTargetDocument,
} from './generated/graphql.js';
import { domainError } from './transport.js';

export type { PushKind } from './generated/graphql.js';
export type PushTargetInfo = PushTargetFieldsFragment;

/** Where to wake this device: one per kind (registering a kind again replaces it). */
export type PushTargetSpec =
  /** A browser subscription: `subscription.toJSON()` gives `{ endpoint, keys: { p256dh, auth } }`. */
  | { kind: 'WEB_PUSH'; endpoint: string; keys: { p256dh: string; auth: string }; includeEnvelopeId?: boolean }
  | { kind: 'UNIFIED_PUSH'; endpoint: string; keys?: { p256dh: string; auth: string }; includeEnvelopeId?: boolean }
  | { kind: 'FCM'; token: string; includeEnvelopeId?: boolean }
  | { kind: 'APNS'; token: string; topic: string; environment: 'SANDBOX' | 'PRODUCTION'; includeEnvelopeId?: boolean };

export interface PushConfig {
  /** For PushManager.subscribe({ applicationServerKey }); null when the server has no Web Push. */
  vapidPublicKey: string | null;
  kinds: PushKind[];
}

export class Push {
  constructor(private readonly ctx: ClientContext) {}

  async register(target: PushTargetSpec): Promise<PushTargetInfo> {
    const input =
      target.kind === 'WEB_PUSH' || target.kind === 'UNIFIED_PUSH'
        ? { kind: target.kind, endpoint: target.endpoint, p256dh: target.keys?.p256dh, auth: target.keys?.auth, includeEnvelopeId: target.includeEnvelopeId }
        : target.kind === 'FCM'
          ? { kind: target.kind, token: target.token, includeEnvelopeId: target.includeEnvelopeId }
          : { kind: target.kind, token: target.token, topic: target.topic, environment: target.environment, includeEnvelopeId: target.includeEnvelopeId };
    const r = (await this.ctx.transport.request(RegisterPushTargetDocument, { input })).registerPushTarget;
    if (r.__typename !== 'PushTarget') throw domainError(r);
    const { __typename: _, ...info } = r;
    return info;
  }

  async remove(kind: PushKind): Promise<boolean> {
    return (await this.ctx.transport.request(RemovePushTargetDocument, { kind })).removePushTarget;
  }

  async config(): Promise<PushConfig> {
    return (await this.ctx.transport.request(PushConfigDocument, {})).pushConfig;
  }

  /** This device's targets (kinds and dates; endpoints and tokens are never returned). */
  async targets(): Promise<PushTargetInfo[]> {
    const me = (await this.ctx.transport.request(MyPushTargetsDocument, {})).me;
    return me.devices.find((d) => d.id === this.ctx.credentials.deviceUuid)?.pushTargets ?? [];
  }
}
