/** Calls: ringing, the ring timeout (missed), transitions and their typed refusals, history, encrypted signaling. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, register, type Registered, startServer, type TestServer, wsClient } from './harness.js';
import { acceptConversation, collect, directConversation } from './realtime-helpers.js';

const RING_TIMEOUT = 2;
let s: TestServer;
let blobDir: string;
beforeAll(async () => {
  blobDir = mkdtempSync(join(tmpdir(), 'calls-test-'));
  // the sweepers are driven by the tests (sweepOnce), not by timers
  s = await startServer({ callRingTimeoutSeconds: RING_TIMEOUT, callSweepIntervalMs: 0, attachmentSweepIntervalMs: 0, blobDir });
});
afterAll(async () => {
  await s?.stop();
  rmSync(blobDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Moves a call's start (and every participant's ring start) back past the ring timeout: the database clock, not a sleep. */
async function ringedLongAgo(callId: string): Promise<void> {
  const knex = s.app.services.knex;
  const back = `${RING_TIMEOUT + 1} seconds`;
  await knex.raw(`update calls set started_at = started_at - ?::interval where id = ?`, [back, callId]);
  await knex.raw(`update call_participants set started_at = started_at - ?::interval where call_id = ?`, [back, callId]);
}

const CALL_FIELDS = `id conversationId media status callerUserId startedAt answeredAt endedAt durationSeconds direction missed viewerState
  participants { userId state deviceId }`;
const RESULT = `__typename ... on Call { ${CALL_FIELDS} } ... on Error { code message }
  ... on IllegalCallTransitionError { from action participantState }`;

const START = `mutation($c: ID!, $m: CallMedia!) { startCall(conversationId: $c, media: $m) {
  __typename ... on Call { ${CALL_FIELDS} } ... on Error { code message } } }`;
const act = (name: 'acceptCall' | 'declineCall' | 'endCall' | 'cancelCall') => `mutation($id: ID!) { ${name}(callId: $id) { ${RESULT} } }`;
const HISTORY = `query($first: Int, $after: String) { callHistory(first: $first, after: $after) {
  __typename ... on CallPage { items { ${CALL_FIELDS} } pageInfo { endCursor hasNextPage } } } }`;
const SIGNAL = `mutation($id: ID!, $e: [CallSignalInput!]!) { sendCallSignal(callId: $id, envelopes: $e) {
  __typename ... on CallSignalsSent { relayed } ... on Error { code message } ... on CallSignalTargetError { deviceIds }
  ... on IllegalCallTransitionError { from action } } }`;
const CALL_EVENTS = `subscription { callEvents { kind callId actorUserId call { id status direction missed viewerState } } }`;
const CALL_SIGNALS = `subscription { callSignals { callId fromUserId fromDevice fromDeviceId type ciphertext } }`;

async function start(by: Registered, conversationId: string, media = 'AUDIO') {
  const r = await gql(s.url, START, { c: conversationId, m: media }, by.token);
  expect(r.data?.startCall?.__typename, JSON.stringify(r)).toBe('Call');
  return r.data.startCall;
}
async function doAct(name: Parameters<typeof act>[0], by: Registered, callId: string) {
  const r = await gql(s.url, act(name), { id: callId }, by.token);
  if (!r.data) throw new Error(JSON.stringify(r));
  return r.data[name];
}
async function history(by: Registered, first = 20, after?: string) {
  const r = await gql(s.url, HISTORY, { first, after }, by.token);
  if (r.data?.callHistory?.__typename !== 'CallPage') throw new Error(JSON.stringify(r));
  return r.data.callHistory;
}
async function pair() {
  const a = await register(s.url);
  const b = await register(s.url);
  const conv = await directConversation(s.url, a, b);
  // the callee accepted the conversation: calls in an unanswered message request ring nobody (trust.test.ts)
  await acceptConversation(s.url, b, conv);
  return { a, b, conv };
}
async function group(a: Registered, members: Registered[]): Promise<string> {
  const r = await gql(
    s.url,
    `mutation($i: CreateGroupInput!) { createGroup(input: $i) { __typename ... on Conversation { id } ... on Error { message } } }`,
    { i: { name: 'g', memberIds: members.map((m) => m.userId) } },
    a.token,
  );
  if (r.data?.createGroup?.__typename !== 'Conversation') throw new Error(JSON.stringify(r));
  const id = r.data.createGroup.id;
  for (const m of members) await acceptConversation(s.url, m, id);
  return id;
}

describe('ringing and the ring timeout', () => {
  it('rings the callee; unanswered past CALL_RING_TIMEOUT_SECONDS it becomes missed for the callee (sweepOnce)', async () => {
    const { a, b, conv } = await pair();
    const bClient = wsClient(s.wsUrl, b.token);
    let call: any;
    try {
      const events = collect<any>(bClient, CALL_EVENTS);
      await sleep(300);
      call = await start(a, conv, 'VIDEO');
      expect(call).toMatchObject({ status: 'RINGING', media: 'VIDEO', direction: 'OUTGOING', viewerState: 'JOINED', missed: false, endedAt: null });
      await events.until((it) => it.some((e) => e.kind === 'RINGING'));
      expect(events.items[0]).toMatchObject({ kind: 'RINGING', callId: call.id, actorUserId: a.userId, call: { direction: 'INCOMING', viewerState: 'RINGING' } });

      // before the timeout the sweep leaves it alone
      expect(await s.app.services.callSweeper.runOnce()).not.toContain(call.id);
      await ringedLongAgo(call.id);
      expect(await s.app.services.callSweeper.runOnce()).toContain(call.id);
      await events.until((it) => it.some((e) => e.kind === 'MISSED'));
      expect(events.items.find((e) => e.kind === 'MISSED')).toMatchObject({
        callId: call.id,
        actorUserId: null,
        call: { status: 'MISSED', direction: 'INCOMING', missed: true, viewerState: 'MISSED' },
      });
      // swept once only
      expect(await s.app.services.callSweeper.runOnce()).not.toContain(call.id);
      events.stop();
    } finally {
      await bClient.dispose();
    }
    const [bView] = (await history(b)).items;
    expect(bView).toMatchObject({ id: call.id, status: 'MISSED', direction: 'INCOMING', missed: true, durationSeconds: null });
    expect(bView.endedAt).toBeTruthy();
    const [aView] = (await history(a)).items;
    expect(aView).toMatchObject({ status: 'MISSED', direction: 'OUTGOING', missed: false, viewerState: 'LEFT' });
  });

  it('an answer that comes after the timeout (before any sweep) is refused from MISSED, and the call is missed', async () => {
    const { a, b, conv } = await pair();
    const call = await start(a, conv);
    await ringedLongAgo(call.id);
    const r = await doAct('acceptCall', b, call.id);
    expect(r).toMatchObject({ __typename: 'IllegalCallTransitionError', code: 'ILLEGAL_CALL_TRANSITION', from: 'MISSED', action: 'ACCEPT' });
    expect((await history(b)).items[0]).toMatchObject({ id: call.id, status: 'MISSED', missed: true });
    expect(await s.app.services.callSweeper.runOnce()).not.toContain(call.id);
  });

  it('another instance (or a restarted one) sweeps calls rung on this one: the state is in the database', async () => {
    const { a, b, conv } = await pair();
    const call = await start(a, conv);
    const other = await startServer({ callRingTimeoutSeconds: RING_TIMEOUT, callSweepIntervalMs: 0, attachmentSweepIntervalMs: 0, blobDir });
    try {
      await ringedLongAgo(call.id);
      expect(await other.app.services.callSweeper.runOnce()).toContain(call.id);
    } finally {
      await other.stop();
    }
    expect((await history(b)).items[0]).toMatchObject({ id: call.id, status: 'MISSED', missed: true });
  });
});

describe('transitions', () => {
  it('accept -> ONGOING, end -> COMPLETED with a duration; and the illegal moves around them are typed errors', async () => {
    const { a, b, conv } = await pair();
    const aClient = wsClient(s.wsUrl, a.token);
    try {
      const aEvents = collect<any>(aClient, CALL_EVENTS);
      await sleep(300);
      const call = await start(a, conv, 'VIDEO');
      // the caller cannot accept or decline their own call
      expect(await doAct('acceptCall', a, call.id)).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'RINGING', action: 'ACCEPT', participantState: 'JOINED' });
      expect(await doAct('declineCall', a, call.id)).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'RINGING', action: 'DECLINE' });
      // the callee cannot end a call they are not in yet, nor cancel someone else's
      expect(await doAct('endCall', b, call.id)).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'RINGING', action: 'END', participantState: 'RINGING' });
      expect(await doAct('cancelCall', b, call.id)).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'RINGING', action: 'CANCEL' });

      const accepted = await doAct('acceptCall', b, call.id);
      expect(accepted).toMatchObject({ __typename: 'Call', status: 'ONGOING', direction: 'INCOMING', viewerState: 'JOINED', durationSeconds: null });
      expect(accepted.answeredAt).toBeTruthy();
      expect(accepted.participants.find((p: any) => p.userId === b.userId)).toMatchObject({ state: 'JOINED', deviceId: b.deviceUuid });
      await aEvents.until((it) => it.some((e) => e.kind === 'ACCEPTED'));
      expect(aEvents.items.find((e) => e.kind === 'ACCEPTED')).toMatchObject({ actorUserId: b.userId, call: { status: 'ONGOING', direction: 'OUTGOING' } });

      expect(await doAct('acceptCall', b, call.id)).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'ONGOING', action: 'ACCEPT' });
      expect(await doAct('cancelCall', a, call.id)).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'ONGOING', action: 'CANCEL' });
      await s.app.services.knex.raw(`update calls set answered_at = answered_at - interval '2 seconds' where id = ?`, [call.id]);
      const ended = await doAct('endCall', b, call.id);
      expect(ended).toMatchObject({ __typename: 'Call', status: 'COMPLETED', viewerState: 'LEFT' });
      expect(ended.durationSeconds).toBeGreaterThanOrEqual(1);
      expect(ended.participants.every((p: any) => p.state === 'LEFT')).toBe(true);
      await aEvents.until((it) => it.some((e) => e.kind === 'ENDED'));

      // nothing moves an ended call
      for (const [name, who, action] of [
        ['acceptCall', b, 'ACCEPT'],
        ['declineCall', b, 'DECLINE'],
        ['endCall', a, 'END'],
        ['cancelCall', a, 'CANCEL'],
      ] as const) {
        expect(await doAct(name, who, call.id), name).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'COMPLETED', action });
      }
      expect((await history(a)).items[0]).toMatchObject({ id: call.id, status: 'COMPLETED', direction: 'OUTGOING', missed: false });
      aEvents.stop();
    } finally {
      await aClient.dispose();
    }
  });

  it('decline -> DECLINED; cancel -> CANCELLED (missed for the callee); the caller hanging up while ringing cancels', async () => {
    const { a, b, conv } = await pair();
    const c1 = await start(a, conv);
    expect(await doAct('declineCall', b, c1.id)).toMatchObject({ __typename: 'Call', status: 'DECLINED', viewerState: 'DECLINED', missed: false });
    expect(await doAct('declineCall', b, c1.id)).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'DECLINED', action: 'DECLINE' });
    expect(await doAct('cancelCall', a, c1.id)).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'DECLINED', action: 'CANCEL' });

    const c2 = await start(a, conv);
    expect(await doAct('cancelCall', a, c2.id)).toMatchObject({ __typename: 'Call', status: 'CANCELLED', viewerState: 'LEFT' });
    expect(await doAct('acceptCall', b, c2.id)).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'CANCELLED', action: 'ACCEPT' });

    const c3 = await start(b, conv);
    expect(await doAct('endCall', b, c3.id)).toMatchObject({ __typename: 'Call', status: 'CANCELLED' });

    const items = (await history(a)).items;
    expect(items.slice(0, 3).map((c: any) => [c.id, c.status, c.direction, c.missed])).toEqual([
      [c3.id, 'CANCELLED', 'INCOMING', true],
      [c2.id, 'CANCELLED', 'OUTGOING', false],
      [c1.id, 'DECLINED', 'OUTGOING', false],
    ]);
    expect((await history(b)).items[1]).toMatchObject({ id: c2.id, missed: true, viewerState: 'MISSED' });
  });

  it('a stranger cannot see or act on a call (NotFound), nor start one in a conversation they are not in', async () => {
    const { a, b, conv } = await pair();
    const stranger = await register(s.url);
    const call = await start(a, conv);
    for (const name of ['acceptCall', 'declineCall', 'endCall', 'cancelCall'] as const) {
      expect(await doAct(name, stranger, call.id), name).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    }
    expect((await gql(s.url, START, { c: conv, m: 'AUDIO' }, stranger.token)).data.startCall).toMatchObject({ __typename: 'NotFoundError' });
    expect((await gql(s.url, `query($id: ID!) { call(id: $id) { __typename } }`, { id: call.id }, stranger.token)).data.call.__typename).toBe('NotFoundError');
    expect((await history(stranger)).items).toEqual([]);
    await doAct('cancelCall', a, call.id);
    void b;
  });

  it('a call in a group everyone else left is refused (INVALID_INPUT) and stores nothing', async () => {
    const a = await register(s.url);
    const b = await register(s.url);
    const conv = await group(a, [b]);
    const left = await gql(s.url, `mutation($c: ID!, $u: ID!) { removeGroupMember(conversationId: $c, userId: $u) { __typename } }`, { c: conv, u: b.userId }, b.token);
    expect(left.errors).toBeUndefined();
    const r = await gql(s.url, START, { c: conv, m: 'AUDIO' }, a.token);
    expect(r.data.startCall).toMatchObject({ __typename: 'InvalidInputError', code: 'INVALID_INPUT' });
    const stored = await s.app.services.knex.raw('select count(*)::int as n from calls where conversation_id = ?', [conv]);
    expect(stored.rows[0].n).toBe(0);
    expect((await history(a)).items).toEqual([]);
  });

  it('group call: per-participant state; the call goes on while two are joined and completes when fewer remain', async () => {
    const a = await register(s.url);
    const [b, c, d] = [await register(s.url), await register(s.url), await register(s.url)];
    const conv = await group(a, [b, c, d]);
    const call = await start(a, conv);
    expect(call.participants).toHaveLength(4);
    expect(await doAct('declineCall', b, call.id)).toMatchObject({ status: 'RINGING', viewerState: 'DECLINED' });
    expect(await doAct('acceptCall', c, call.id)).toMatchObject({ status: 'ONGOING', viewerState: 'JOINED' });
    expect(await doAct('acceptCall', d, call.id)).toMatchObject({ status: 'ONGOING', viewerState: 'JOINED' });
    expect(await doAct('endCall', a, call.id)).toMatchObject({ status: 'ONGOING', viewerState: 'LEFT' });
    const done = await doAct('endCall', c, call.id);
    expect(done).toMatchObject({ status: 'COMPLETED' });
    const states = Object.fromEntries(done.participants.map((p: any) => [p.userId, p.state]));
    expect(states).toEqual({ [a.userId]: 'LEFT', [b.userId]: 'DECLINED', [c.userId]: 'LEFT', [d.userId]: 'LEFT' });
  });

  it('group call: members still ringing past the timeout of an answered call are marked missed; the call goes on and they may join late', async () => {
    const a = await register(s.url);
    const [b, c] = [await register(s.url), await register(s.url)];
    const call = await start(a, await group(a, [b, c]));
    await doAct('acceptCall', b, call.id);
    await ringedLongAgo(call.id);
    expect(await s.app.services.callSweeper.runOnce()).not.toContain(call.id);
    const [cView] = (await history(c)).items;
    expect(cView).toMatchObject({ id: call.id, status: 'ONGOING', viewerState: 'MISSED', missed: true });
    // joining late is still possible while the call goes on
    expect(await doAct('acceptCall', c, call.id)).toMatchObject({ __typename: 'Call', status: 'ONGOING', viewerState: 'JOINED', missed: false });
    expect(await doAct('endCall', b, call.id)).toMatchObject({ status: 'ONGOING' });
    expect(await doAct('endCall', a, call.id)).toMatchObject({ status: 'COMPLETED' });
  });
});

describe('call history', () => {
  it('is paginated newest first with a cursor', async () => {
    const { a, b, conv } = await pair();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await start(i % 2 ? b : a, conv);
      await doAct('cancelCall', i % 2 ? b : a, c.id);
      ids.unshift(c.id);
    }
    const p1 = await history(a, 2);
    expect(p1.items.map((c: any) => c.id)).toEqual(ids.slice(0, 2));
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = await history(a, 2, p1.pageInfo.endCursor);
    expect(p2.items.map((c: any) => c.id)).toEqual(ids.slice(2, 4));
    const p3 = await history(a, 2, p2.pageInfo.endCursor);
    expect(p3.items.map((c: any) => c.id)).toEqual(ids.slice(4));
    expect(p3.pageInfo.hasNextPage).toBe(false);
    expect(p1.items.map((c: any) => c.direction)).toEqual(['OUTGOING', 'INCOMING']);
    const bad = await gql(s.url, HISTORY, { first: 2, after: 'nope' }, a.token);
    expect(bad.data.callHistory.__typename).toBe('InvalidInputError');
  });
});

describe('signaling', () => {
  it('relays encrypted payloads only to the call participants’ devices; a non-participant gets nothing and cannot be targeted', async () => {
    const { a, b, conv } = await pair();
    const stranger = await register(s.url);
    const clients = [a, b, stranger].map((u) => wsClient(s.wsUrl, u.token));
    try {
      const [aSig, bSig, strangerSig] = clients.map((c) => collect<any>(c, CALL_SIGNALS));
      await sleep(300);
      const call = await start(a, conv, 'VIDEO');
      const offer = randomBytes(200).toString('base64');
      const r = await gql(s.url, SIGNAL, { id: call.id, e: [{ deviceId: b.deviceUuid, type: 3, ciphertext: offer }] }, a.token);
      expect(r.data.sendCallSignal).toEqual({ __typename: 'CallSignalsSent', relayed: 1 });
      await bSig.until((it) => it.length === 1);
      expect(bSig.items[0]).toEqual({ callId: call.id, fromUserId: a.userId, fromDevice: a.deviceUuid, fromDeviceId: a.deviceId, type: 3, ciphertext: offer });

      // the callee answers (after accepting) to the caller's device
      await doAct('acceptCall', b, call.id);
      const answer = randomBytes(120).toString('base64');
      expect((await gql(s.url, SIGNAL, { id: call.id, e: [{ deviceId: a.deviceUuid, type: 2, ciphertext: answer }] }, b.token)).data.sendCallSignal.relayed).toBe(1);
      await aSig.until((it) => it.length === 1);
      expect(aSig.items[0]).toMatchObject({ fromUserId: b.userId, ciphertext: answer, type: 2 });

      // targeting a non-participant's device is refused, all or nothing (b gets nothing from this send either)
      const mixed = await gql(
        s.url,
        SIGNAL,
        {
          id: call.id,
          e: [
            { deviceId: b.deviceUuid, type: 2, ciphertext: randomBytes(16).toString('base64') },
            { deviceId: stranger.deviceUuid, type: 2, ciphertext: randomBytes(16).toString('base64') },
          ],
        },
        a.token,
      );
      expect(mixed.data.sendCallSignal).toMatchObject({ __typename: 'CallSignalTargetError', code: 'NOT_A_CALL_DEVICE', deviceIds: [stranger.deviceUuid] });
      // nor the sending device itself, nor an unknown id
      const self = await gql(s.url, SIGNAL, { id: call.id, e: [{ deviceId: a.deviceUuid, type: 2, ciphertext: 'AAAA' }] }, a.token);
      expect(self.data.sendCallSignal).toMatchObject({ __typename: 'CallSignalTargetError', deviceIds: [a.deviceUuid] });
      const unknown = await gql(s.url, SIGNAL, { id: call.id, e: [{ deviceId: 'x', type: 2, ciphertext: 'AAAA' }] }, a.token);
      expect(unknown.data.sendCallSignal).toMatchObject({ __typename: 'CallSignalTargetError', deviceIds: ['x'] });

      // a stranger cannot signal into the call
      const fromStranger = await gql(s.url, SIGNAL, { id: call.id, e: [{ deviceId: a.deviceUuid, type: 2, ciphertext: 'AAAA' }] }, stranger.token);
      expect(fromStranger.data.sendCallSignal).toMatchObject({ __typename: 'NotFoundError' });

      // after the call ended, signaling is refused
      await doAct('endCall', a, call.id);
      const late = await gql(s.url, SIGNAL, { id: call.id, e: [{ deviceId: b.deviceUuid, type: 2, ciphertext: 'AAAA' }] }, a.token);
      expect(late.data.sendCallSignal).toMatchObject({ __typename: 'IllegalCallTransitionError', from: 'COMPLETED', action: 'SIGNAL' });

      await sleep(300);
      expect(bSig.items).toHaveLength(1);
      expect(aSig.items).toHaveLength(1);
      expect(strangerSig.items).toEqual([]);
      expect(strangerSig.error).toBeUndefined();
      for (const c of [aSig, bSig, strangerSig]) c.stop();
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });

  it('refuses malformed payloads (wrong type, empty, duplicate device)', async () => {
    const { a, b, conv } = await pair();
    const call = await start(a, conv);
    const bad = [
      [{ deviceId: b.deviceUuid, type: 1, ciphertext: 'AAAA' }],
      [{ deviceId: b.deviceUuid, type: 2, ciphertext: '' }],
      [
        { deviceId: b.deviceUuid, type: 2, ciphertext: 'AAAA' },
        { deviceId: b.deviceUuid, type: 2, ciphertext: 'AAAA' },
      ],
      [],
    ];
    for (const e of bad) {
      const r = await gql(s.url, SIGNAL, { id: call.id, e }, a.token);
      expect(r.data.sendCallSignal.__typename, JSON.stringify(e)).toBe('InvalidInputError');
    }
    await doAct('cancelCall', a, call.id);
  });
});

describe('membership is re-checked on every call operation', () => {
  const REMOVE = `mutation($c: ID!, $u: ID!) { removeGroupMember(conversationId: $c, userId: $u) { __typename } }`;
  const signal = (by: Registered, callId: string, to: Registered) =>
    gql(s.url, SIGNAL, { id: callId, e: [{ deviceId: to.deviceUuid, type: 2, ciphertext: randomBytes(40).toString('base64') }] }, by.token);

  it('a member removed from the group is refused on accept, decline, end, cancel and signaling, and cannot be signaled', async () => {
    const a = await register(s.url);
    const [b, c, d] = [await register(s.url), await register(s.url), await register(s.url)];
    const conv = await group(a, [b, c, d]);
    // c and d were rung; c joined before being removed, d was still ringing
    const call = await start(a, conv);
    expect(await doAct('acceptCall', c, call.id)).toMatchObject({ __typename: 'Call', status: 'ONGOING' });
    for (const removed of [c, d]) expect((await gql(s.url, REMOVE, { c: conv, u: removed.userId }, a.token)).data.removeGroupMember.__typename).toBe('MemberRemoved');
    for (const removed of [c, d]) {
      for (const action of ['acceptCall', 'declineCall', 'endCall', 'cancelCall'] as const) {
        expect(await doAct(action, removed, call.id), `${action} by a removed member`).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
      }
      expect((await signal(removed, call.id, a)).data.sendCallSignal).toMatchObject({ __typename: 'NotFoundError' });
      // and the members still in the call cannot reach the removed member's devices
      expect((await signal(a, call.id, removed)).data.sendCallSignal).toMatchObject({ __typename: 'CallSignalTargetError', deviceIds: [removed.deviceUuid] });
    }
    // the call goes on for the members
    expect(await doAct('acceptCall', b, call.id)).toMatchObject({ __typename: 'Call', status: 'ONGOING' });
    expect((await signal(b, call.id, a)).data.sendCallSignal).toMatchObject({ __typename: 'CallSignalsSent', relayed: 1 });
  });
});
