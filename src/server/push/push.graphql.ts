/**
 * Push in the schema: a device registers where it can be woken (registerPushTarget / removePushTarget), lists
 * its user's devices' targets (Device.pushTargets), and reads what a browser needs to subscribe (pushConfig).
 * A target is shown by kind and dates only: endpoints and tokens are credentials (anyone holding a
 * UnifiedPush endpoint can push to it) and never leave the server.
 */
import { DeviceRef } from '../accounts/accounts.graphql.js';
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { errorOptions } from '../graphql/types.js';
import { InvalidInputError, InvalidKeyError } from '../kernel/errors.js';
import { PUSH_KINDS } from './push-target.entity.js';
import type { PushTargetRecord } from './push-target.js';
import { PushKindUnavailableError } from './push.errors.js';

const PushKindEnum = builder.enumType('PushKind', {
  values: {
    WEB_PUSH: { description: 'A browser push subscription (RFC 8030 endpoint with its RFC 8291 keys p256dh and auth).' },
    UNIFIED_PUSH: { description: 'A UnifiedPush endpoint (RFC 8030; keys optional, recommended).' },
    FCM: { description: 'A Firebase Cloud Messaging registration token.' },
    APNS: { description: 'An APNs device token, with the app bundle id as topic and the environment.' },
  } as const,
});

const ApnsEnvironmentEnum = builder.enumType('ApnsEnvironment', {
  values: { SANDBOX: { value: 'sandbox' }, PRODUCTION: { value: 'production' } } as const,
});

builder.objectType(PushKindUnavailableError, {
  ...errorOptions(PushKindUnavailableError, 'PushKindUnavailableError', 'This server has no provider configured for the kind; nothing was stored.'),
  fields: (t) => ({
    kind: t.field({ type: PushKindEnum, resolve: (e) => e.kind }),
    available: t.field({ type: [PushKindEnum], resolve: (e) => [...e.available] }),
  }),
});

const PushTargetRef = builder.objectRef<PushTargetRecord>('PushTarget').implement({
  description: 'Where a device is woken when it has no live inbox stream. Endpoints and tokens are never shown.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: PushKindEnum, resolve: (r) => r.kind }),
    includeEnvelopeId: t.exposeBoolean('includeEnvelopeId', { description: 'Pushes carry the id of the envelope that triggered them (opt-in).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last registration (a rotated token or endpoint replaces the old one).' }),
  }),
});

const PushConfigRef = builder.objectRef<{ vapidPublicKey: string | null; kinds: string[] }>('PushConfig').implement({
  description: 'What a client needs to register for push on this server.',
  fields: (t) => ({
    vapidPublicKey: t.exposeString('vapidPublicKey', {
      nullable: true,
      description: "The VAPID public key (base64url) for PushManager.subscribe({ applicationServerKey }); null when Web Push is off.",
    }),
    kinds: t.field({ type: [PushKindEnum], description: 'The target kinds this server delivers to.', resolve: (c) => c.kinds as never }),
  }),
});

const RegisterPushTargetInputRef = builder.inputType('RegisterPushTargetInput', {
  description:
    'One flat input for every kind: WEB_PUSH and UNIFIED_PUSH take endpoint (+ p256dh and auth, base64url, as PushSubscription.toJSON().keys); ' +
    'FCM takes token; APNS takes token, topic (the bundle id) and environment. A field the kind does not use is refused.',
  fields: (t) => ({
    kind: t.field({ type: PushKindEnum, required: true }),
    endpoint: t.string(),
    p256dh: t.string(),
    auth: t.string(),
    token: t.string(),
    topic: t.string(),
    environment: t.field({ type: ApnsEnvironmentEnum }),
    includeEnvelopeId: t.boolean({ description: 'Opt in to pushes that carry the triggering envelope id (never ciphertext or metadata).' }),
  }),
});

builder.objectField(DeviceRef, 'pushTargets', (t) =>
  t.field({
    type: [PushTargetRef],
    nullable: true,
    description: "The device's push targets; shown only for the caller's own devices (null for anyone else's).",
    resolve: (d, _a, ctx) => {
      const auth = requireAuth(ctx);
      if (auth.userId !== d.userId) return null;
      return ctx.services.push.targets.list(d.id);
    },
  }),
);

builder.queryField('pushConfig', (t) =>
  t.field({
    type: PushConfigRef,
    description: "The server's VAPID public key and the push kinds it delivers to.",
    resolve: (_r, _a, ctx) => {
      requireAuth(ctx);
      const { push } = ctx.services;
      const enabled = new Set<string>(push.notifier.enabledKinds);
      return { vapidPublicKey: push.vapidPublicKey ?? null, kinds: PUSH_KINDS.filter((k) => enabled.has(k)) };
    },
  }),
);

builder.mutationFields((t) => ({
  registerPushTarget: t.field({
    type: PushTargetRef,
    description:
      "Registers where the calling device is woken when it has no live inbox stream: one target per kind, registering again replaces it (the id stays). " +
      'Pushes carry no content: {"type":"messages"} (or a call id); the app then fetches and decrypts.',
    errors: { types: [InvalidInputError, InvalidKeyError, PushKindUnavailableError] },
    args: { input: t.arg({ type: RegisterPushTargetInputRef, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.push.targets.register(requireAuth(ctx).deviceUuid, input),
  }),
  removePushTarget: t.field({
    type: 'Boolean',
    description: "Removes the calling device's target of the kind; false when it had none.",
    args: { kind: t.arg({ type: PushKindEnum, required: true }) },
    resolve: (_r, { kind }, ctx) => ctx.services.push.targets.remove(requireAuth(ctx).deviceUuid, kind),
  }),
}));
