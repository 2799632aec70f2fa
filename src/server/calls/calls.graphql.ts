/**
 * Calls in the schema: startCall / acceptCall / declineCall / endCall / cancelCall, callHistory and call,
 * sendCallSignal (encrypted per-device payloads relayed live), and the callEvents / callSignals subscriptions.
 */
import { UserRef } from '../accounts/accounts.graphql.js';
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { errorOptions, PageInfo } from '../graphql/types.js';
import type { Base64 } from '../kernel/bytes.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';
import type { Page } from '../kernel/paging.js';
import { CALL_ACTIONS, CALL_STATUSES, CallSignalTargetError, IllegalCallTransitionError } from './calls.errors.js';
import { CALL_EVENT_KINDS, CALL_MEDIA, type CallEventKind, type CallParticipantRow, type CallView, PARTICIPANT_STATES } from './calls.service.js';

const CallMediaEnum = builder.enumType('CallMedia', { values: CALL_MEDIA });
const CallStatusEnum = builder.enumType('CallStatus', {
  values: CALL_STATUSES,
  description:
    'RINGING -> ONGOING (answered) -> COMPLETED; or, unanswered: DECLINED (every callee declined), CANCELLED (the caller hung up), MISSED (ring timeout).',
});
const CallActionEnum = builder.enumType('CallAction', { values: CALL_ACTIONS });
const CallParticipantStateEnum = builder.enumType('CallParticipantState', {
  values: PARTICIPANT_STATES,
  description: 'The caller starts JOINED, everyone else RINGING.',
});
const CallDirectionEnum = builder.enumType('CallDirection', { values: ['INCOMING', 'OUTGOING'] as const });
const CallEventKindEnum = builder.enumType('CallEventKind', { values: CALL_EVENT_KINDS });

builder.objectType(IllegalCallTransitionError, {
  ...errorOptions(
    IllegalCallTransitionError,
    'IllegalCallTransitionError',
    'The action is not allowed in the call’s current status or for the caller’s part in it. Nothing changed (except that a ringing call past its timeout is now MISSED).',
  ),
  fields: (t) => ({
    from: t.field({ type: CallStatusEnum, resolve: (e) => e.from }),
    action: t.field({ type: CallActionEnum, resolve: (e) => e.action }),
    participantState: t.field({ type: CallParticipantStateEnum, nullable: true, resolve: (e) => e.participantState as never }),
  }),
});
builder.objectType(CallSignalTargetError, {
  ...errorOptions(CallSignalTargetError, 'CallSignalTargetError', 'Targets that are not devices of the call’s participants (Device.id). Nothing was relayed.'),
  fields: (t) => ({ deviceIds: t.exposeIDList('deviceIds') }),
});

const CallParticipantRef = builder.objectRef<CallParticipantRow>('CallParticipant').implement({
  fields: (t) => ({
    userId: t.exposeID('userId'),
    user: t.field({ type: UserRef, resolve: async (p, _a, ctx) => (await ctx.loaders.user.load(p.userId))! }),
    state: t.field({ type: CallParticipantStateEnum, resolve: (p) => p.state }),
    deviceId: t.exposeID('deviceUuid', { nullable: true, description: 'Device.id of the device that joined.' }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime', nullable: true }),
    leftAt: t.expose('leftAt', { type: 'DateTime', nullable: true }),
  }),
});

export const CallRef = builder.objectRef<CallView>('Call').implement({
  description: 'A call in a conversation, as the caller of the query sees it (direction, missed).',
  fields: (t) => ({
    id: t.exposeID('id'),
    conversationId: t.exposeID('conversationId'),
    media: t.field({ type: CallMediaEnum, resolve: (c) => c.media }),
    status: t.field({ type: CallStatusEnum, resolve: (c) => c.status }),
    callerUserId: t.exposeID('callerUserId'),
    caller: t.field({ type: UserRef, resolve: async (c, _a, ctx) => (await ctx.loaders.user.load(c.callerUserId))! }),
    callerDeviceId: t.exposeID('callerDeviceUuid', { description: 'Device.id of the calling device.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When it started ringing.' }),
    answeredAt: t.expose('answeredAt', { type: 'DateTime', nullable: true }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true }),
    durationSeconds: t.exposeInt('durationSeconds', { nullable: true, description: 'From the first answer to the end; null unless answered and ended.' }),
    direction: t.field({ type: CallDirectionEnum, resolve: (c) => (c.callerUserId === c.viewerUserId ? 'OUTGOING' : 'INCOMING') }),
    viewerState: t.field({ type: CallParticipantStateEnum, resolve: (c) => c.viewerState, description: 'The caller’s own state in the call.' }),
    missed: t.boolean({
      description: 'An incoming call that rang for the viewer and was never answered by them (timed out, or cancelled while ringing).',
      resolve: (c) => c.callerUserId !== c.viewerUserId && c.viewerState === 'MISSED',
    }),
    participants: t.field({
      type: [CallParticipantRef],
      resolve: (c, _a, ctx) => ctx.loaders.callParticipants.load(c.id),
    }),
  }),
});

const CallPage = builder.objectRef<Page<CallView>>('CallPage').implement({
  fields: (t) => ({
    items: t.field({ type: [CallRef], resolve: (p) => p.items }),
    pageInfo: t.field({ type: PageInfo, resolve: (p) => p }),
  }),
});

interface CallEventShape {
  kind: CallEventKind;
  callId: string;
  actorUserId: string | null;
  call: CallView;
}
const CallEventRef = builder.objectRef<CallEventShape>('CallEvent').implement({
  description: 'A call the user takes part in changed. RINGING on an incoming call means: ring this device.',
  fields: (t) => ({
    kind: t.field({ type: CallEventKindEnum, resolve: (e) => e.kind }),
    callId: t.exposeID('callId'),
    actorUserId: t.exposeID('actorUserId', { nullable: true, description: 'Who acted; null for MISSED (the server’s ring timeout).' }),
    call: t.field({ type: CallRef, resolve: (e) => e.call }),
  }),
});

interface CallSignalShape {
  callId: string;
  fromUserId: string;
  fromDeviceUuid: string;
  fromDeviceId: number;
  type: number;
  ciphertext: Base64;
}
const CallSignalRef = builder.objectRef<CallSignalShape>('CallSignal').implement({
  description: 'An encrypted signaling payload (offer, answer, ICE candidate, hangup) from another participant’s device. Never stored.',
  fields: (t) => ({
    callId: t.exposeID('callId'),
    fromUserId: t.exposeID('fromUserId'),
    fromDevice: t.exposeID('fromDeviceUuid', { description: 'Device.id of the sending device.' }),
    fromDeviceId: t.exposeInt('fromDeviceId', { description: 'Signal device id of the sending device (for the session address).' }),
    type: t.exposeInt('type', { description: '2 = whisper (SignalMessage), 3 = prekey (PreKeySignalMessage).' }),
    ciphertext: t.expose('ciphertext', { type: 'Bytes' }),
  }),
});

const CallSignalInput = builder.inputType('CallSignalInput', {
  fields: (t) => ({
    deviceId: t.id({ required: true, description: 'Device.id of a device of a participant of the call.' }),
    type: t.int({ required: true, description: '2 = whisper, 3 = prekey.' }),
    ciphertext: t.field({ type: 'Bytes', required: true }),
  }),
});

const CallSignalsSentRef = builder.objectRef<{ callId: string; relayed: number }>('CallSignalsSent').implement({
  fields: (t) => ({
    callId: t.exposeID('callId'),
    relayed: t.exposeInt('relayed', { description: 'Payloads relayed (one per target device). Offline devices miss them: nothing is stored.' }),
  }),
});

builder.queryFields((t) => ({
  callHistory: t.field({
    type: CallPage,
    description: "The caller's calls (incoming and outgoing), newest first.",
    errors: { types: [InvalidInputError] },
    args: { first: t.arg.int({ defaultValue: 20 }), after: t.arg.string() },
    resolve: (_r, a, ctx) => ctx.services.calls.history(requireAuth(ctx).userId, a.first ?? 20, a.after ?? null),
  }),
  call: t.field({
    type: CallRef,
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.calls.get(requireAuth(ctx).userId, String(a.id)),
  }),
}));

const transitionErrors = { types: [NotFoundError, IllegalCallTransitionError] };

builder.mutationFields((t) => ({
  startCall: t.field({
    type: CallRef,
    description: "Rings every other participant of the conversation (a RINGING callEvent on each of their devices).",
    errors: { types: [NotFoundError, InvalidInputError] },
    args: { conversationId: t.arg.id({ required: true }), media: t.arg({ type: CallMediaEnum, required: true }) },
    resolve: (_r, a, ctx) => ctx.services.calls.start(requireAuth(ctx), String(a.conversationId), a.media),
  }),
  acceptCall: t.field({
    type: CallRef,
    description: 'Answer on this device: while the call rings for you, or join a call in progress (a group call) late, also after declining, missing or leaving it.',
    errors: transitionErrors,
    args: { callId: t.arg.id({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.calls.accept(requireAuth(ctx), String(a.callId)),
  }),
  declineCall: t.field({
    type: CallRef,
    description: 'Decline a call ringing for you. When every callee declined an unanswered call, it is DECLINED.',
    errors: transitionErrors,
    args: { callId: t.arg.id({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.calls.decline(requireAuth(ctx), String(a.callId)),
  }),
  endCall: t.field({
    type: CallRef,
    description:
      'Hang up (joined participants only). The call is COMPLETED when fewer than two joined remain; the caller hanging up a call still ringing cancels it.',
    errors: transitionErrors,
    args: { callId: t.arg.id({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.calls.end(requireAuth(ctx), String(a.callId)),
  }),
  cancelCall: t.field({
    type: CallRef,
    description: 'The caller gives up before anyone answered: CANCELLED (missed for the callees).',
    errors: transitionErrors,
    args: { callId: t.arg.id({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.calls.cancel(requireAuth(ctx), String(a.callId)),
  }),
  sendCallSignal: t.field({
    type: CallSignalsSentRef,
    description:
      'Relays encrypted signaling payloads, one per target device, to devices of the call’s participants as live `callSignals` events (never stored: offline devices miss them).',
    errors: { types: [NotFoundError, IllegalCallTransitionError, CallSignalTargetError, InvalidInputError] },
    args: { callId: t.arg.id({ required: true }), envelopes: t.arg({ type: [CallSignalInput], required: true }) },
    resolve: async (_r, a, ctx) => ({
      callId: String(a.callId),
      relayed: await ctx.services.calls.sendSignal(
        requireAuth(ctx),
        String(a.callId),
        a.envelopes.map((e) => ({ deviceId: String(e.deviceId), type: e.type, ciphertext: e.ciphertext })),
      ),
    }),
  }),
}));

builder.subscriptionFields((t) => ({
  callEvents: t.field({
    type: CallEventRef,
    description: 'Changes to calls the user takes part in (every device of the user receives them): ring on RINGING.',
    subscribe: (_r, _a, ctx) => {
      const auth = requireAuth(ctx);
      const { bus, calls } = ctx.services;
      return bus.stream<CallEventShape>((source) => [
        source('callEvent', auth.userId, async (ev, push) => {
          // a call the user is no longer a participant of (NotFound) is skipped; any other failure ends the stream
          const call = await calls.get(auth.userId, ev.callId).catch((err) => {
            if (err instanceof NotFoundError) return null;
            throw err;
          });
          if (call) await push({ ...ev, call });
        }),
      ]);
    },
    resolve: (e) => e,
  }),
  callSignals: t.field({
    type: CallSignalRef,
    description: 'Encrypted signaling payloads addressed to this device.',
    subscribe: (_r, _a, ctx) => {
      const auth = requireAuth(ctx);
      return ctx.services.bus.stream<CallSignalShape>((source) => [
        // relayed as it came: the ciphertext stays the base64 text it was sent as
        source('callSignal', auth.deviceUuid, async (s, push) => {
          await push({ ...s, ciphertext: s.ciphertext as Base64 });
        }),
      ]);
    },
    resolve: (s) => s,
  }),
}));
