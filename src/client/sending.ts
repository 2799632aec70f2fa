/**
 * Sending: a message is encoded (padded JSON content, replies and attachment pointers inside), encrypted
 * once per recipient device and sent as one `sendMessage` (direct conversations: the Double Ratchet), or,
 * in a group, encrypted once with this device's sender key and sent as one `sendGroupMessage` carrying the
 * sender key's distribution message to the devices that need it (groups.ts); a MismatchedDevices / StaleDevices refusal
 * refreshes the device list and encrypts again (the idempotency key stays, so a retry never stores twice);
 * a short rate-limit wait is absorbed. Sends leave in call order. Attachments are encrypted on the device
 * and only their ciphertext is uploaded.
 */
import { encryptAttachment, type UploadProgress, uploadAttachment } from './attachments.js';
import { toBase64 } from './base64.js';
import { type AttachmentPointer, createContent, encodeContent } from './content.js';
import type { ClientContext, SendOptions } from './context.js';
import type { Directory } from './directory.js';
import { ClientError } from './errors.js';
import {
  type ContentType,
  DeleteMessageDocument,
  type SendGroupMessageMutation,
  type SendMessageMutation, SendGroupMessageDocument, SendMessageDocument } from './generated/graphql.js';
import type { GroupSessions } from './groups.js';
import { Serial } from './serial.js';
import type { Sessions } from './sessions.js';
import type { StoredMessage } from './stores/types.js';
import { domainError } from './transport.js';

/** What sendAttachment takes besides the bytes. */
export type AttachmentSendOptions = SendOptions & {
  contentType: Exclude<ContentType, 'TEXT'>;
  mimeType: string;
  fileName?: string;
  caption?: string;
  /** Called as the ciphertext uploads (bytes sent, total). */
  onUploadProgress?: UploadProgress;
};

/** Tries after a MismatchedDevices / StaleDevices refusal, each after refreshing the device list. */
const SEND_RETRIES = 1;

export class Sender {
  private readonly order = new Serial();

  constructor(
    private readonly ctx: ClientContext,
    private readonly directory: Directory,
    private readonly sessions: Sessions,
    private readonly groups: GroupSessions,
    private readonly accessToken: () => Promise<string>,
  ) {}

  /** Encrypts `body` for every recipient device and sends it; resolves with the message as stored locally. */
  sendMessage(conversationId: string, body: string, opts: SendOptions = {}): Promise<StoredMessage> {
    return this.order.run(() => this.send(conversationId, body, opts));
  }

  /** Encrypts and uploads a file, then sends a message whose encrypted content carries its pointer. */
  async sendAttachment(
    conversationId: string,
    file: Uint8Array,
    opts: AttachmentSendOptions,
  ): Promise<StoredMessage> {
    const enc = await encryptAttachment(file);
    const up = await uploadAttachment(this.ctx.opts.url, await this.accessToken(), enc.ciphertext, { onProgress: opts.onUploadProgress });
    const pointer: AttachmentPointer = {
      url: `attachment:${up.id}`,
      contentType: opts.mimeType,
      size: enc.size,
      key: toBase64(enc.key),
      digest: toBase64(enc.digest),
      ...(opts.fileName ? { fileName: opts.fileName } : {}),
    };
    const { onUploadProgress: _progress, ...send } = opts;
    return this.sendMessage(conversationId, opts.caption ?? '', {
      ...send,
      attachments: [...(opts.attachments ?? []), pointer],
      attachmentIds: [...(opts.attachmentIds ?? []), up.id],
    });
  }

  /**
   * Delete for everyone (own messages only): the server tombstones the message and drops its undelivered
   * envelopes; an end-to-end encrypted delete then reaches every device that already has it (the recipients'
   * and the user's own other devices), which drop it from their local stores. The local copy becomes a tombstone.
   */
  deleteForEveryone(messageId: string) {
    return this.order.run(async () => {
      const { transport, store, events } = this.ctx;
      const r = (await transport.request(DeleteMessageDocument, { messageId })).deleteMessage;
      if (r.__typename !== 'Message') throw domainError(r);
      await this.send(r.conversationId, '', { delete: { messageId } }, false);
      const local = await store.getMessage(messageId);
      if (local && !local.deleted) {
        await store.replaceMessage({ ...local, content: { ...local.content, body: '', attachments: [] }, deleted: true });
        await events.emit('messageDeleted', { messageId, conversationId: r.conversationId });
      }
      return r;
    });
  }

  private async send(
    conversationId: string,
    body: string,
    opts: SendOptions & { delete?: { messageId: string } },
    keep = true,
  ): Promise<StoredMessage> {
    const { transport, store, credentials } = this.ctx;
    const content = createContent(body, { replyTo: opts.replyTo ?? null, attachments: opts.attachments, sentAt: this.ctx.now(), delete: opts.delete });
    const plaintext = encodeContent(content);
    const clientMessageId = randomId();
    const group = await this.directory.isGroup(conversationId);
    for (let attempt = 0; ; attempt++) {
      const targets = await this.directory.recipients(conversationId, attempt > 0);
      const common = {
        conversationId,
        clientMessageId,
        contentType: opts.contentType ?? 'TEXT',
        replyTo: opts.replyTo ?? undefined,
        expiresIn: opts.expiresIn,
        attachmentIds: opts.attachmentIds,
      } as const;
      let request: () => Promise<SendResult>;
      let sent = async () => {};
      if (group) {
        // pairwise sessions only with the devices that get the sender key in this send
        await this.sessions.ensure(await this.groups.needingKey(conversationId, targets), conversationId);
        const g = await this.groups.encrypt(conversationId, targets, plaintext);
        const input = { ...common, type: g.type, ciphertext: g.ciphertext, recipients: g.recipients };
        request = async () => (await transport.request(SendGroupMessageDocument, { input })).sendGroupMessage;
        sent = g.commit;
      } else {
        await this.sessions.ensure(targets, conversationId);
        const input = { ...common, envelopes: await this.sessions.encryptFor(targets, plaintext) };
        request = async () => (await transport.request(SendMessageDocument, { input })).sendMessage;
      }
      let r = await request();
      // A refused send stored nothing: the same envelopes can go again once the budget allows.
      while (r.__typename === 'RateLimitedError' && r.retryAfterSeconds <= (this.ctx.opts.maxRateLimitWaitSeconds ?? 2)) {
        await new Promise((res) => setTimeout(res, r.__typename === 'RateLimitedError' ? r.retryAfterSeconds * 1000 : 0));
        r = await request();
      }
      if (r.__typename === 'Message') {
        await sent();
        const stored: StoredMessage = {
          id: r.id,
          conversationId,
          senderUserId: credentials.userId,
          senderDeviceId: credentials.deviceId,
          envelopeId: null,
          serverMessageId: r.id,
          content,
          timestamp: r.createdAt,
          outgoing: true,
        };
        // a control message (a delete) is not a message the user sees
        if (keep) await store.saveMessage(stored);
        return stored;
      }
      if (r.__typename === 'MismatchedDevicesError' || r.__typename === 'StaleDevicesError') {
        if (attempt >= SEND_RETRIES) throw new ClientError(r.__typename === 'MismatchedDevicesError' ? 'MismatchedDevices' : 'StaleDevices', r.message);
        // Devices that left or re-registered: their sessions are useless now.
        const gone = r.__typename === 'MismatchedDevicesError' ? r.extra : r.stale;
        for (const d of gone) {
          const known = d.userId != null && d.deviceId != null ? { userId: d.userId, deviceId: d.deviceId } : this.directory.device(d.id);
          if (known) await this.sessions.forget(known);
        }
        continue;
      }
      throw domainError(r);
    }
  }
}

type SendResult = SendMessageMutation['sendMessage'] | SendGroupMessageMutation['sendGroupMessage'];

function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
