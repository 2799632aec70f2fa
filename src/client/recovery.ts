/**
 * Decryption-error recovery (docs/trust.md; Signal's retry receipts), over libsignal's DecryptionErrorMessage
 * and PlaintextContent (src/protocol/decryption-error.ts).
 *
 * Receiving side: an envelope that does not decrypt because the session is broken or missing (no session,
 * a bad MAC, a prekey that is gone) is answered with a DecryptionErrorMessage naming the failed message
 * (its sender ratchet key, its timestamp, its sender's device id), sent unencrypted to that device as a
 * PlaintextContent (reportDecryptionError); the server removes the envelope. The message is not lost: its
 * sender sends it again, and it is shown once, when the resend decrypts.
 *
 * Group messages (type 7) too: a device without the sender's chain (its distribution message never came,
 * or its sender believed it delivered when it was not) asks the same way; the sender resends the message
 * pairwise and gives that device its sender key again with the next group message.
 *
 * Sending side: a type-8 envelope carrying such a message about one of ours is answered by a resend of that
 * message to that device only (resendMessage): if the ratchet key is our current one the session is
 * archived first, so the resend starts a fresh session from a new bundle. The resend cache is the store of
 * sent messages itself: a message is resent only when this device sent it, its server timestamp is the one
 * named, and it is at most RESEND_WINDOW_MS old (Signal keeps its send log a day), at most
 * MAX_RESENDS_PER_DEVICE times per message and device.
 */
import { DecryptionErrorMessage, isProtocolError, PlaintextContent, type ProtocolErrorCode, SENDER_KEY_MESSAGE_TYPE } from '../protocol/index.js';
import { fromBase64, toBase64 } from './base64.js';
import { encodeContent } from './content.js';
import type { ClientContext, Envelope } from './context.js';
import type { Directory } from './directory.js';
import type { GroupSessions } from './groups.js';
import type { PeerAddress } from './errors.js';
import { ReportDecryptionErrorDocument, ResendMessageDocument } from './generated/graphql.js';
import type { Sessions } from './sessions.js';
import { domainError } from './transport.js';

/** libsignal CiphertextMessageType.Plaintext. */
export const PLAINTEXT_CONTENT_TYPE = 8;
/** How old a sent message may be and still be resent (the server keeps resend requests as long). */
export const RESEND_WINDOW_MS = 24 * 3600 * 1000;
/** Resends of one message to one device (a peer that keeps failing is not served forever). */
export const MAX_RESENDS_PER_DEVICE = 2;
/** Resend counts tracked at most (the oldest are forgotten). */
const MAX_TRACKED_RESENDS = 1000;

/** Failures that mean the session is broken or missing, so a resend on a fresh session can help. */
const RETRYABLE: readonly ProtocolErrorCode[] = ['NoSession', 'InvalidMessage', 'InvalidPreKeyId', 'InvalidSignedPreKeyId', 'InvalidKyberPreKeyId', 'InvalidKey'];
/** For a group message (type 7): this device lacks the sender's chain (its distribution message never came, or was lost). */
const RETRYABLE_GROUP: readonly ProtocolErrorCode[] = ['NoSenderKeyState', 'NoSession', 'InvalidMessage', 'InvalidPreKeyId', 'InvalidSignedPreKeyId', 'InvalidKyberPreKeyId', 'InvalidKey'];

export class Recovery {
  private readonly resends = new Map<string, number>();

  constructor(
    private readonly ctx: ClientContext,
    private readonly sessions: Sessions,
    private readonly directory: Directory,
    private readonly groups?: GroupSessions,
  ) {}

  /**
   * Asks the sender of an envelope that failed with `error` to resend it. Returns true when the request went
   * out (the envelope has then left the queue: do not acknowledge it); false when the failure is not one a
   * resend can mend, or the envelope is not even a well-formed Signal message (the caller reports it).
   */
  async requestResend(env: Envelope, error: unknown): Promise<boolean> {
    if (env.type !== 2 && env.type !== 3 && env.type !== SENDER_KEY_MESSAGE_TYPE) return false;
    if (!(env.type === SENDER_KEY_MESSAGE_TYPE ? RETRYABLE_GROUP : RETRYABLE).some((code) => isProtocolError(error, code))) return false;
    let dem: DecryptionErrorMessage;
    try {
      dem = DecryptionErrorMessage.forOriginal(fromBase64(env.ciphertext), env.type, Date.parse(env.createdAt), env.senderDeviceId);
    } catch {
      return false;
    }
    const content = toBase64(PlaintextContent.from(dem).serialize());
    const r = (await this.ctx.transport.request(ReportDecryptionErrorDocument, { envelopeId: env.id, content })).reportDecryptionError;
    if (r.__typename !== 'DecryptionErrorReported') {
      // gone already (acknowledged or removed meanwhile): nothing left to recover
      if (r.__typename === 'NotFoundError') return false;
      throw domainError(r);
    }
    await this.ctx.events.emit('retryRequested', { envelopeId: env.id, messageId: env.messageId, sender: { userId: env.senderUserId, deviceId: env.senderDeviceId } });
    return true;
  }

  /** Answers a type-8 envelope (a DecryptionErrorMessage about one of our messages) with a resend, when it qualifies. */
  async answer(env: Envelope): Promise<void> {
    const { store, credentials } = this.ctx;
    let dem: DecryptionErrorMessage;
    try {
      dem = PlaintextContent.deserialize(fromBase64(env.ciphertext)).decryptionErrorMessage();
    } catch {
      return; // not one (the server checks; a newer kind of plaintext content is ignored)
    }
    if (dem.deviceId !== credentials.deviceId) return;
    const message = await store.getMessage(env.messageId);
    if (!message?.outgoing || message.senderUserId !== credentials.userId || message.senderDeviceId !== credentials.deviceId) return;
    if (Date.parse(message.timestamp) !== dem.timestamp || this.ctx.now() - dem.timestamp > RESEND_WINDOW_MS) return;
    const key = `${message.id}/${env.senderDeviceUuid}`;
    const count = this.resends.get(key) ?? 0;
    if (count >= MAX_RESENDS_PER_DEVICE) return;
    if (this.resends.size >= MAX_TRACKED_RESENDS) this.resends.delete(this.resends.keys().next().value!);
    this.resends.set(key, count + 1);

    const peer: PeerAddress = { userId: env.senderUserId, deviceId: env.senderDeviceId };
    const target = await this.directory.deviceOf(env.senderUserId, env.senderDeviceUuid);
    if (!target) return; // the device is gone
    const newSession = await this.sessions.archiveIfCurrent(peer, dem.ratchetKey);
    await this.sessions.ensure([target], message.conversationId);
    const [envelope] = await this.sessions.encryptFor([target], encodeContent(message.content));
    const r = (await this.ctx.transport.request(ResendMessageDocument, { messageId: message.id, envelope })).resendMessage;
    if (r.__typename !== 'ResendResult') throw domainError(r);
    // a group: the device evidently lacks this device's sender key, so the next group message carries it again
    if (this.groups && (await this.directory.isGroup(message.conversationId))) await this.groups.forgetDevice(message.conversationId, env.senderDeviceUuid);
    await this.ctx.events.emit('resent', { messageId: message.id, to: peer, newSession });
  }
}
