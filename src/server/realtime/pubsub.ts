/**
 * The typed event bus. In one process it is in memory; with REDIS_URL every instance shares it through
 * Redis pub/sub (at most once, no replay: durable state lives in PostgreSQL, events only wake listeners).
 * Payloads are plain JSON (ids, and small envelopes for live delivery).
 */
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';

/** A stored envelope as carried by `envelopeStored` (JSON-safe: ciphertext in base64, time as ISO 8601). */
export interface EnvelopeWire {
  /** bigserial, as a decimal string: the per-device order and the acknowledgement handle. */
  id: string;
  messageId: string;
  conversationId: string;
  senderUserId: string;
  /** Signal device id of the sender's device. */
  senderDeviceId: number;
  /** Device.id of the sender's device. */
  senderDeviceUuid: string;
  /** 2 = whisper (SignalMessage), 3 = prekey (PreKeySignalMessage). */
  type: number;
  ciphertext: string;
  createdAt: string;
}

export type Topics = {
  /** A device was removed: its sockets close and its tokens stop working. */
  deviceRemoved: [payload: { deviceUuid: string; userId: string }];
  /** A user's device list changed (linked or removed device); scoped by user id. */
  deviceListChanged: [userId: string, payload: { userId: string }];
  /** A device's one-time prekey stock fell below PREKEY_LOW_THRESHOLD (once per crossing); scoped by device uuid. */
  preKeysLow: [deviceUuid: string, payload: { deviceUuid: string; oneTime: number; kyberOneTime: number }];
  /** A user's presence may have changed (a first socket opened or a last one closed somewhere). */
  presenceChanged: [userId: string, payload: { userId: string }];
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
  conversationEvent: [
    conversationId: string,
    payload: { kind: 'message' | 'receipt' | 'reaction' | 'deleted' | 'expired' | 'membership'; messageId?: string; userId?: string },
  ];
  /** A call changed (rang, was accepted, declined, left, ended, missed, cancelled); scoped by participant user id. */
  callEvent: [
    userId: string,
    payload: { callId: string; kind: 'RINGING' | 'ACCEPTED' | 'DECLINED' | 'LEFT' | 'ENDED' | 'MISSED' | 'CANCELLED'; actorUserId: string | null },
  ];
  /** An encrypted call-signaling payload for one device (relayed live, never stored); ciphertext in base64. */
  callSignal: [
    deviceUuid: string,
    payload: { callId: string; fromUserId: string; fromDeviceUuid: string; fromDeviceId: number; type: number; ciphertext: string },
  ];
};

/** Topics scoped by an id (`topic:id`), and the payload of each. */
type Scoped = { [K in keyof Topics as Topics[K] extends [string, unknown] ? K : never]: Topics[K] extends [string, infer P] ? P : never };

export type EventBus = PubSub<Topics> & {
  /**
   * Calls `listener` for each event of `topic` scoped to `id` until the returned function is called: a
   * plain listener on the bus's event target, for long-lived per-connection listeners (cheaper than an
   * async iterator from `subscribe`).
   */
  listen<K extends keyof Scoped>(topic: K, id: string, listener: (payload: Scoped[K]) => void): () => void;
  /** A command connection to Redis when REDIS_URL is set (shared state such as presence). */
  redis?: Redis;
  close(): Promise<void>;
};

type Target = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

/** yoga's pubsub dispatches `topic:id` events whose `detail` is the payload (see createPubSub). */
function listenOn(target: Target): EventBus['listen'] {
  return (topic, id, listener) => {
    const type = `${topic}:${id}`;
    const handler = (e: Event) => listener((e as CustomEvent).detail);
    target.addEventListener(type, handler);
    return () => target.removeEventListener(type, handler);
  };
}

export function createEventBus(redisUrl?: string): EventBus {
  if (!redisUrl) {
    const eventTarget = new EventTarget();
    return Object.assign(createPubSub<Topics>({ eventTarget }), { listen: listenOn(eventTarget), close: async () => {} });
  }
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  const ps = createPubSub<Topics>({ eventTarget });
  return Object.assign(ps, {
    listen: listenOn(eventTarget),
    redis: publishClient,
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  });
}
