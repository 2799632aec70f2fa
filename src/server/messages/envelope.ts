/** A queued envelope as its device receives it, and its JSON form on the `envelopeStored` event. */
import type { Base64 } from '../kernel/bytes.js';

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
  /** 2 = whisper (SignalMessage), 3 = prekey (PreKeySignalMessage), 8 = plaintext content (a decryption-error reply). */
  type: number;
  ciphertext: Base64;
  createdAt: string;
  /** Delivered while the recipient's membership was a message request. */
  request: boolean;
}

/** One queued envelope, as delivered: read from the queue (bytes) or carried on its event (base64, sent as is). */
export type EnvelopeRow = Omit<EnvelopeWire, 'ciphertext' | 'createdAt'> & { ciphertext: Uint8Array | Base64; createdAt: Date | string };
