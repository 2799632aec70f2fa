/**
 * The SDK's calls against the real server: ringing on every device of the callee, answering on one, the
 * WebRTC signaling (offer, answer, ICE candidates, hang-up) end-to-end encrypted per device over the pairwise
 * sessions (the server relays ciphertext it cannot read, and a payload relayed under another call's id is
 * refused), declining, a missed call, and the history both sides see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallEvent, type IncomingCallSignal, isClientError, MessagingClient } from '../../src/client/index.js';
import { clientOptions, registerClient, until } from '../client/helpers.js';
import { startServer, type TestServer } from '../server/harness.js';

let server: TestServer;
const clients: MessagingClient[] = [];
let alice: MessagingClient;
let bob: MessagingClient;
let bobLaptop: MessagingClient;
let conversationId: string;
/** Every GraphQL request body alice's client sent: what the server saw of her signals. */
const aliceRequests: string[] = [];

const events = new Map<MessagingClient, CallEvent[]>();
const signals = new Map<MessagingClient, IncomingCallSignal[]>();
const errors = new Map<MessagingClient, unknown[]>();

function watch(c: MessagingClient) {
  events.set(c, []);
  signals.set(c, []);
  errors.set(c, []);
  c.events.on('call', (e) => void events.get(c)!.push(e));
  c.events.on('callSignal', (s) => void signals.get(c)!.push(s));
  c.events.on('error', (e) => void errors.get(c)!.push(e));
}

const eventOf = (c: MessagingClient, callId: string, kind: string) =>
  until(() => events.get(c)!.some((e) => e.callId === callId && e.kind === kind), 20_000, `${kind} on ${c.credentials.username}.${c.deviceId}`);

beforeAll(async () => {
  server = await startServer({ callRingTimeoutSeconds: 2, callSweepIntervalMs: 300 });
  const recording: typeof fetch = async (input, init) => {
    if (typeof init?.body === 'string') aliceRequests.push(init.body);
    return fetch(input, init);
  };
  alice = await registerClient({ url: server.url, fetch: recording });
  bob = await registerClient({ url: server.url });
  bobLaptop = await MessagingClient.link(clientOptions({ url: server.url }), (await bob.createLinkCode()).code, 'laptop');
  clients.push(alice, bob, bobLaptop);
  for (const c of clients) watch(c);
  await Promise.all(clients.map((c) => c.start()));
  conversationId = (await alice.createDirectConversation(bob.userId)).id;
  // the subscriptions are requested by start(); wait until the server has them (a first event reaches each)
  await alice.sendMessage(conversationId, 'hello');
  await Promise.all([bob, bobLaptop].map((c) => until(async () => (await c.messages(conversationId)).length > 0)));
  // Bob accepts Alice's message request: calls in an unanswered request ring nobody
  await bob.respondToMessageRequest(conversationId, 'ACCEPT');
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
});

describe('calls in the SDK', () => {
  const OFFER = 'v=0\r\no=- 4611731400430051336 2 IN IP4 192.0.2.44\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AB:CD\r\n';
  const ANSWER = 'v=0\r\no=- 1 2 IN IP4 198.51.100.7\r\ns=-\r\nt=0 0\r\n';
  const CANDIDATE = { candidate: 'candidate:1 1 udp 2122194687 192.0.2.44 35040 typ host', sdpMid: '0', sdpMLineIndex: 0 };
  let callId: string;

  it('rings every device of the callee, and the caller learns which device answered', async () => {
    const call = await alice.calls.start(conversationId, 'AUDIO');
    callId = call.id;
    expect(call).toMatchObject({ status: 'RINGING', direction: 'OUTGOING', media: 'AUDIO', conversationId });
    await eventOf(bob, callId, 'RINGING');
    await eventOf(bobLaptop, callId, 'RINGING');
    expect(events.get(bob)!.find((e) => e.callId === callId)!.call.direction).toBe('INCOMING');

    const answered = await bob.calls.accept(callId);
    expect(answered.status).toBe('ONGOING');
    await eventOf(alice, callId, 'ACCEPTED');
    const joined = events.get(alice)!.find((e) => e.callId === callId && e.kind === 'ACCEPTED')!.call.participants.find((p) => p.userId === bob.userId)!;
    expect(joined).toMatchObject({ state: 'JOINED', deviceId: bob.credentials.deviceUuid });
  });

  it('carries the offer, the answer and ICE candidates end to end encrypted, to the answering device only', async () => {
    const call = await alice.calls.get(callId);
    expect(await alice.calls.signal(call, { kind: 'offer', sdp: OFFER })).toBe(1);
    await until(() => signals.get(bob)!.length === 1, 20_000, 'the offer');
    expect(signals.get(bob)![0]).toEqual({
      callId,
      from: { userId: alice.userId, deviceId: alice.deviceId, deviceUuid: alice.credentials.deviceUuid },
      payload: { kind: 'offer', sdp: OFFER },
    });

    expect(await bob.calls.signal(callId, { kind: 'answer', sdp: ANSWER })).toBe(1);
    await bob.calls.signal(callId, { kind: 'ice', candidates: [CANDIDATE] });
    await until(() => signals.get(alice)!.length === 2, 20_000, 'the answer and the candidates');
    expect(signals.get(alice)!.map((s) => s.payload)).toEqual([
      { kind: 'answer', sdp: ANSWER },
      { kind: 'ice', candidates: [CANDIDATE] },
    ]);
    await alice.calls.signal(callId, { kind: 'ice', candidates: [CANDIDATE, { ...CANDIDATE, sdpMLineIndex: 1 }] });
    await until(() => signals.get(bob)!.length === 2, 20_000, 'alice’s candidates');

    // the device that did not answer got nothing, and the server saw ciphertext only
    expect(signals.get(bobLaptop)).toEqual([]);
    const sent = aliceRequests.filter((b) => b.includes('SendCallSignal'));
    expect(sent).toHaveLength(2);
    for (const body of sent) {
      expect(body).not.toContain('192.0.2.44');
      expect(body).not.toContain('fingerprint');
      const { envelopes } = JSON.parse(body).variables;
      expect(envelopes).toHaveLength(1);
      expect(envelopes[0].deviceId).toBe(bob.credentials.deviceUuid);
      expect([2, 3]).toContain(envelopes[0].type);
    }
    expect(errors.get(alice)).toEqual([]);
    expect(errors.get(bob)).toEqual([]);
  });

  it('hangs up: the call is completed with a duration, in both histories', async () => {
    await bob.calls.signal(callId, { kind: 'hangup' });
    await until(() => signals.get(alice)!.some((s) => s.payload.kind === 'hangup'), 20_000, 'the hang-up');
    const ended = await bob.calls.end(callId);
    expect(ended.status).toBe('COMPLETED');
    await eventOf(alice, callId, 'ENDED');
    const [mine] = (await alice.calls.history()).items;
    const theirs = (await bob.calls.history()).items.find((c) => c.id === callId)!;
    expect(mine).toMatchObject({ id: callId, status: 'COMPLETED', direction: 'OUTGOING', missed: false });
    expect(theirs).toMatchObject({ id: callId, status: 'COMPLETED', direction: 'INCOMING', missed: false });
    expect(mine.durationSeconds).toBeGreaterThanOrEqual(0);
    // signaling a call that ended is refused
    await expect(alice.calls.signal(callId, { kind: 'hangup' }, [bob.credentials.deviceUuid])).rejects.toMatchObject({ serverCode: 'ILLEGAL_CALL_TRANSITION' });
  });

  it('refuses a payload the server relays under another call’s id', async () => {
    const first = await alice.calls.start(conversationId, 'VIDEO');
    const second = await alice.calls.start(conversationId, 'AUDIO');
    await bob.calls.accept(first.id);
    await bob.calls.accept(second.id);
    // what a relay that swaps call ids would deliver: a ciphertext made for `first`, announced as `second`
    const before = signals.get(bob)!.length;
    const { envelopes } = await captureSignal(first.id, { kind: 'offer', sdp: OFFER });
    const sent = await alice.transport.request(
      (await import('../../src/client/generated/graphql.js')).SendCallSignalDocument,
      { callId: second.id, envelopes },
    );
    expect(sent.sendCallSignal.__typename).toBe('CallSignalsSent');
    await until(() => errors.get(bob)!.length > 0, 20_000, 'the refusal');
    expect(isClientError(errors.get(bob)![0], 'DecryptionFailed')).toBe(true);
    expect(String((errors.get(bob)![0] as Error).message)).toContain('another call');
    expect(signals.get(bob)!.length).toBe(before);
    errors.get(bob)!.length = 0;
    await Promise.all([alice.calls.end(first.id), alice.calls.end(second.id)]);
  });

  it('declines on one device: the caller sees DECLINED once every callee declined', async () => {
    const call = await alice.calls.start(conversationId, 'AUDIO');
    await eventOf(bobLaptop, call.id, 'RINGING');
    const declined = await bobLaptop.calls.decline(call.id);
    expect(declined.status).toBe('DECLINED');
    await eventOf(alice, call.id, 'DECLINED');
  });

  it('marks an unanswered call missed for the callee after the ring timeout', async () => {
    const call = await alice.calls.start(conversationId, 'VIDEO');
    await eventOf(bob, call.id, 'MISSED');
    const theirs = (await bob.calls.history()).items.find((c) => c.id === call.id)!;
    expect(theirs).toMatchObject({ status: 'MISSED', direction: 'INCOMING', missed: true, media: 'VIDEO' });
    const mine = (await alice.calls.history()).items.find((c) => c.id === call.id)!;
    expect(mine).toMatchObject({ status: 'MISSED', direction: 'OUTGOING', missed: false });
  });

  it('checks a payload before encrypting it', async () => {
    const call = await alice.calls.start(conversationId, 'AUDIO');
    await expect(alice.calls.signal(call, { kind: 'offer', sdp: '' })).rejects.toThrow(/needs an sdp/);
    await expect(alice.calls.signal(call, { kind: 'ice', candidates: Array(65).fill(CANDIDATE) })).rejects.toThrow(/candidates/);
    await expect(alice.calls.signal(call, { kind: 'dial' } as never)).rejects.toThrow(/unknown call signal kind/);
    await alice.calls.cancel(call.id);
  });
});

/**
 * Encrypts a signal for bob's device as alice's client would, without sending it: the request the client
 * makes is intercepted and answered as if relayed.
 */
async function captureSignal(callId: string, payload: { kind: 'offer'; sdp: string }) {
  const capture = await MessagingClient.open({ ...clientOptions({ url: server.url }), store: alice.store, fetch: interceptSignals });
  await capture.calls.signal(await alice.calls.get(callId), payload);
  return captured!;
}
let captured: { envelopes: { deviceId: string; type: number; ciphertext: string }[] } | null = null;
const interceptSignals: typeof fetch = async (input, init) => {
  const body = typeof init?.body === 'string' ? JSON.parse(init.body) : null;
  if (body?.query?.includes('mutation SendCallSignal')) {
    captured = { envelopes: body.variables.envelopes };
    return new Response(JSON.stringify({ data: { sendCallSignal: { __typename: 'CallSignalsSent', relayed: 1 } } }), { headers: { 'content-type': 'application/json' } });
  }
  return fetch(input, init);
};
