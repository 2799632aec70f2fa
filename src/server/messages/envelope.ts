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
  /**
   * 2 = whisper (SignalMessage), 3 = prekey (PreKeySignalMessage), 7 = sender key (SenderKeyMessage: the shared
   * ciphertext of a multi-recipient send), 8 = plaintext content (a decryption-error reply).
   */
  type: number;
  ciphertext: Base64;
  /** Type 7 only: the type (2 or 3) of this device's own header, when it has one. */
  headerType?: number | null;
  /** Type 7 only: this device's own part of a multi-recipient send, encrypted pairwise (e.g. a SenderKeyDistributionMessage). */
  header?: Base64 | null;
  createdAt: string;
  /** Delivered while the recipient's membership was a message request. */
  request: boolean;
}

/** One queued envelope, as delivered: read from the queue (bytes) or carried on its event (base64, sent as is). */
export type EnvelopeRow = Omit<EnvelopeWire, 'ciphertext' | 'header' | 'createdAt'> & {
  ciphertext: Uint8Array | Base64;
  header?: Uint8Array | Base64 | null;
  createdAt: Date | string;
};
