/**
 * Calls: call control over the server's call mutations (start, accept, decline, end, cancel, history) and
 * the signaling a WebRTC app exchanges to connect the media (SDP offer and answer, ICE candidates, hang-up),
 * end-to-end encrypted once per target device over the same pairwise Signal sessions as messages: each
 * payload is a type 2 (whisper) or 3 (prekey) ciphertext relayed by `sendCallSignal` and decrypted from the
 * `callSignals` subscription. The server relays them live and never stores them; it learns who signals whom
 * and when, never the SDP (IP addresses, codecs, DTLS fingerprints) or the candidates.
 *
 * The plaintext is padded JSON (the content padding of ./content.ts) carrying the call id, so a payload
 * relayed under another call's id is refused. Incoming signals and call state changes are events of the
 * client: `callSignal` (decrypted payloads, in the order each device sent them) and `call` (RINGING on an
 * incoming call means: ring).
 */
import type { ClientContext, Subscribe } from './context.js';
import { ContentError, pad, unpad } from './content.js';
import type { Directory, TargetDevice } from './directory.js';
import { ClientError, DecryptionError, decryptionErrorFrom } from './errors.js';
import type { Call, CallSignalPayload, IceCandidate } from './call-types.js';
import {
  AcceptCallDocument,
  CallDocument,
  CallEventsDocument,
  CallHistoryDocument,
  type CallMedia,
  CallSignalsDocument,
  CancelCallDocument,
  DeclineCallDocument,
  EndCallDocument,
  SendCallSignalDocument,
  StartCallDocument,
} from './generated/graphql.js';
import type { Sessions } from './sessions.js';
import { domainError } from './transport.js';

export type { Call, CallEvent, CallMedia, CallSignalPayload, IceCandidate, IncomingCallSignal } from './call-types.js';

/** The version of the signaling plaintext; a receiver refuses what it cannot read. */
export const CALL_SIGNAL_VERSION = 1;
/** ICE candidates in one signal at most (an app batches trickled candidates; a page of them stays small). */
export const MAX_CANDIDATES_PER_SIGNAL = 64;

export class CallManager {
  private readonly stops: (() => void)[] = [];

  constructor(
    private readonly ctx: ClientContext,
    private readonly directory: Directory,
    private readonly sessions: Sessions,
    private readonly subscribe: Subscribe,
  ) {}

  /** Listens for call events and signals (called by MessagingClient.start). */
  open(): void {
    this.stops.push(
      this.subscribe(CallEventsDocument, {}, (v) => this.ctx.events.emit('call', v.callEvents)),
      this.subscribe(CallSignalsDocument, {}, (v) => this.receive(v.callSignals)),
    );
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Rings every other participant of the conversation. */
  async start(conversationId: string, media: CallMedia): Promise<Call> {
    const r = (await this.ctx.transport.request(StartCallDocument, { conversationId, media })).startCall;
    if (r.__typename !== 'Call') throw domainError(r);
    return r;
  }

  /** Answers on this device (the caller then sends its offer to this device). */
  async accept(callId: string): Promise<Call> {
    const r = (await this.ctx.transport.request(AcceptCallDocument, { callId })).acceptCall;
    if (r.__typename !== 'Call') throw domainError(r);
    return r;
  }

  async decline(callId: string): Promise<Call> {
    const r = (await this.ctx.transport.request(DeclineCallDocument, { callId })).declineCall;
    if (r.__typename !== 'Call') throw domainError(r);
    return r;
  }

  /** Hangs up (the caller hanging up a call still ringing cancels it). */
  async end(callId: string): Promise<Call> {
    const r = (await this.ctx.transport.request(EndCallDocument, { callId })).endCall;
    if (r.__typename !== 'Call') throw domainError(r);
    return r;
  }

  /** The caller gives up before anyone answered: missed for the callees. */
  async cancel(callId: string): Promise<Call> {
    const r = (await this.ctx.transport.request(CancelCallDocument, { callId })).cancelCall;
    if (r.__typename !== 'Call') throw domainError(r);
    return r;
  }

  async get(callId: string): Promise<Call> {
    const r = (await this.ctx.transport.request(CallDocument, { id: callId })).call;
    if (r.__typename !== 'Call') throw domainError(r);
    return r;
  }

  /** The user's calls, newest first: direction, status, missed, duration. */
  async history(first = 20, after?: string): Promise<{ items: Call[]; endCursor: string | null; hasNextPage: boolean }> {
    const r = (await this.ctx.transport.request(CallHistoryDocument, { first, after })).callHistory;
    if (r.__typename !== 'CallPage') throw domainError(r);
    return { items: r.items, endCursor: r.pageInfo.endCursor ?? null, hasNextPage: r.pageInfo.hasNextPage };
  }

  /**
   * Encrypts `payload` once for each target device and relays it. Targets default to the devices that have
   * joined the call (other than this one): after an answer, that is the answering device for the caller and
   * the calling device for the callee. Returns how many devices it was relayed to.
   */
  async signal(call: Call | string, payload: CallSignalPayload, to?: string[]): Promise<number> {
    checkPayload(payload);
    const c = typeof call === 'string' ? await this.get(call) : call;
    const own = this.ctx.credentials.deviceUuid;
    const uuids = (to ?? c.participants.filter((p) => p.state === 'JOINED' && p.deviceId).map((p) => p.deviceId!)).filter((d) => d !== own);
    if (!uuids.length) return 0;
    const targets = await this.targets(c.conversationId, uuids);
    await this.sessions.ensure(targets);
    const plaintext = encodeSignal(c.id, payload);
    const envelopes = (await this.sessions.encryptFor(targets, plaintext)).map((e) => ({ deviceId: e.deviceId, type: e.type, ciphertext: e.ciphertext }));
    const r = (await this.ctx.transport.request(SendCallSignalDocument, { callId: c.id, envelopes })).sendCallSignal;
    if (r.__typename !== 'CallSignalsSent') throw domainError(r);
    return r.relayed;
  }

  /** The devices named by Device.id, from the conversation's participant list (read again once if one is unknown). */
  private async targets(conversationId: string, uuids: string[]): Promise<TargetDevice[]> {
    for (const refresh of [false, true]) {
      const all = await this.directory.recipients(conversationId, refresh);
      const found = uuids.map((u) => all.find((t) => t.uuid === u));
      if (found.every(Boolean)) return found as TargetDevice[];
    }
    throw new ClientError('MismatchedDevices', `not a device of the call's conversation: ${uuids.join(', ')}`);
  }

  private async receive(s: CallEventsSignal): Promise<void> {
    const from = { userId: s.fromUserId, deviceId: s.fromDeviceId, deviceUuid: s.fromDevice };
    const id = `call-signal:${s.callId}`;
    let payload: CallSignalPayload | null = null;
    try {
      await this.sessions.decrypt(from, { id, type: s.type, ciphertext: s.ciphertext }, async (plaintext, commit) => {
        await commit(); // the ratchet advanced either way; an unreadable payload is dropped below
        payload = decodeSignal(plaintext, s.callId);
      });
    } catch (e) {
      const err =
        e instanceof ContentError
          ? new DecryptionError(from, id, `bad call signal: ${e.message}`, { cause: e })
          : e instanceof ClientError
            ? e
            : decryptionErrorFrom(e, from, id);
      await this.ctx.events.emit('error', err);
      return;
    }
    if (payload) await this.ctx.events.emit('callSignal', { callId: s.callId, from, payload });
  }
}

type CallEventsSignal = { callId: string; fromUserId: string; fromDevice: string; fromDeviceId: number; type: number; ciphertext: string };

function checkPayload(p: CallSignalPayload): void {
  if (p.kind === 'offer' || p.kind === 'answer') {
    if (typeof p.sdp !== 'string' || !p.sdp) throw new ContentError(`${p.kind} needs an sdp`);
  } else if (p.kind === 'ice') {
    if (!Array.isArray(p.candidates) || p.candidates.length > MAX_CANDIDATES_PER_SIGNAL || !p.candidates.every(isCandidate)) {
      throw new ContentError(`ice needs 0..${MAX_CANDIDATES_PER_SIGNAL} candidates`);
    }
  } else if (p.kind !== 'hangup') {
    throw new ContentError(`unknown call signal kind ${(p as { kind: unknown }).kind}`);
  }
}

function isCandidate(c: unknown): c is IceCandidate {
  if (typeof c !== 'object' || c === null) return false;
  const x = c as Record<string, unknown>;
  return (
    typeof x.candidate === 'string' &&
    (x.sdpMid == null || typeof x.sdpMid === 'string') &&
    (x.sdpMLineIndex == null || Number.isInteger(x.sdpMLineIndex)) &&
    (x.usernameFragment == null || typeof x.usernameFragment === 'string')
  );
}

export function encodeSignal(callId: string, payload: CallSignalPayload): Uint8Array {
  return pad(new TextEncoder().encode(JSON.stringify({ v: CALL_SIGNAL_VERSION, callId, ...payload })));
}

/** Decodes a signal's plaintext; refuses one made for another call (a relay under the wrong id). */
export function decodeSignal(bytes: Uint8Array, callId: string): CallSignalPayload {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(unpad(bytes)));
  } catch (e) {
    throw e instanceof ContentError ? e : new ContentError('call signal is not UTF-8 JSON');
  }
  if (typeof o !== 'object' || o === null || o.v !== CALL_SIGNAL_VERSION) throw new ContentError('call signal of an unknown version');
  if (o.callId !== callId) throw new ContentError('call signal made for another call');
  const { v: _v, callId: _c, ...rest } = o;
  const payload = rest as unknown as CallSignalPayload;
  checkPayload(payload);
  if (payload.kind === 'offer' || payload.kind === 'answer') return { kind: payload.kind, sdp: payload.sdp };
  if (payload.kind === 'ice') return { kind: 'ice', candidates: payload.candidates };
  return { kind: 'hangup' };
}
