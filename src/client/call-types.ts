/** The calls API's types (./calls.ts), apart so the client's event map (./context.ts) can name them. */
import type { CallEventsSubscription, CallFieldsFragment, CallMedia } from './generated/graphql.js';
import type { PeerAddress } from './errors.js';

export type Call = CallFieldsFragment;
export type CallEvent = CallEventsSubscription['callEvents'];
export type { CallMedia };

/** One ICE candidate, as RTCIceCandidate.toJSON() gives it. */
export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** What a signal carries: a session description, a batch of ICE candidates, or a hang-up. */
export type CallSignalPayload =
  | { kind: 'offer' | 'answer'; sdp: string }
  | { kind: 'ice'; candidates: IceCandidate[] }
  | { kind: 'hangup' };

/** A decrypted signal from another device of the call. */
export interface IncomingCallSignal {
  callId: string;
  from: PeerAddress & { deviceUuid: string };
  payload: CallSignalPayload;
}

