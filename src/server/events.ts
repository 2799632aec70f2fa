/**
 * The application's event topics: what each domain publishes and who listens. Events only wake listeners
 * (durable state is in PostgreSQL); payloads are JSON (they cross Redis), so ids and base64, never Dates or
 * bytes. The bus itself is infrastructure (realtime/bus.ts) and knows none of these.
 */
import type { EnvelopeWire } from './messages/envelope.js';
import type { EventBus } from './realtime/bus.js';

export type ConversationEventKind = 'message' | 'receipt' | 'reaction' | 'deleted' | 'expired' | 'membership';
/** What changed in a user's trust settings, told to all of the user's devices (docs/trust.md). */
export type TrustSyncKind = 'BLOCKED' | 'UNBLOCKED' | 'MESSAGE_REQUEST' | 'DISCOVERABLE';
export type CallEventKind = 'RINGING' | 'ACCEPTED' | 'DECLINED' | 'LEFT' | 'ENDED' | 'MISSED' | 'CANCELLED';

export type Topics = {
  /** A device was removed: its sockets close and its tokens stop working. */
  deviceRemoved: [payload: { deviceUuid: string; userId: string }];
  /** A user's device list changed (linked or removed device); scoped by user id. */
  deviceListChanged: [userId: string, payload: { userId: string }];
  /** A device's one-time prekey stock fell below PREKEY_LOW_THRESHOLD (once per crossing); scoped by device uuid. */
  preKeysLow: [deviceUuid: string, payload: { deviceUuid: string; oneTime: number; kyberOneTime: number }];
  /** A user's presence may have changed (a first socket opened or a last one closed somewhere). */
  presenceChanged: [userId: string, payload: { userId: string }];
  /**
   * A device's first inbox stream opened, or its last closed, on an instance (push: the other instances do not
   * push a device streaming somewhere). One channel, scope `all`. Server-internal.
   */
  inboxPresence: [scope: string, payload: { deviceUuid: string; instanceId: string; online: boolean }];
  /** Control of a device's inbox streams: another stream opened (the others end), or the device was removed. */
  inboxControl: [deviceUuid: string, payload: { openedStreamId?: string; removed?: boolean }];
  /** Ephemeral typing state of a user in a conversation; never stored. */
  typing: [conversationId: string, payload: { conversationId: string; userId: string; typing: boolean }];
  /**
   * An envelope was queued for a device (published after commit, one per recipient device); scoped by device
   * uuid. Small envelopes ride along, so that the device's live stream need not read them back.
   */
  envelopeStored: [deviceUuid: string, payload: { envelopeId: string; envelope?: EnvelopeWire }];
  /** Something happened in a conversation (published after commit); scoped by conversation id. */
  conversationEvent: [conversationId: string, payload: { kind: ConversationEventKind; messageId?: string; userId?: string }];
  /**
   * A user's trust settings changed (a block, a lifted block, an answer to a message request, discoverability),
   * scoped by that user's id: every one of their devices hears it. Never published to the other party.
   */
  trustSync: [userId: string, payload: { kind: TrustSyncKind; userId?: string; conversationId?: string; action?: string; discoverable?: boolean }];
  /** A block involving this user began or ended (either side): open streams reload what they filter. Server-internal. */
  blockRelationChanged: [userId: string, payload: { userId: string }];
  /** A call changed; scoped by participant user id. */
  callEvent: [userId: string, payload: { callId: string; kind: CallEventKind; actorUserId: string | null }];
  /** An encrypted call-signaling payload for one device (relayed live, never stored); ciphertext in base64. */
  callSignal: [
    deviceUuid: string,
    payload: { callId: string; fromUserId: string; fromDeviceUuid: string; fromDeviceId: number; type: number; ciphertext: string },
  ];
};

/** The bus every domain publishes on. */
export type Bus = EventBus<Topics>;
