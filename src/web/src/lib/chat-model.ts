/**
 * One open conversation: its decrypted messages (the device's store, via history()), the server's metadata
 * of each (delivery and read status, reactions, deletion, expiry: messageMetas() once, then the
 * conversation's live events), who is typing, and the actions of the chat screen. It marks the conversation
 * read while the page is visible.
 */
import type { AttachmentPointer, Conversation, ConversationEvent, MessageMeta, MessageRequestAction, StoredMessage } from '@sealed-relay/client';
import type { AppModel } from './app-model.js';
import { Observable } from './observable.js';
import { go } from './route.js';
import { describeError } from './session.js';

/** The server's typing signal lapses after a few seconds; so does ours, unless repeated. */
const TYPING_SHOWN_MS = 6000;
/** Repeat "typing" this often while the user keeps typing. */
const TYPING_REPEAT_MS = 3000;
const HISTORY_LIMIT = 300;
const META_PAGE = 100;

export type AttachmentKind = 'IMAGE' | 'VIDEO' | 'AUDIO' | 'FILE';

export interface Upload {
  id: number;
  name: string;
  sent: number;
  total: number;
}

export class ChatModel extends Observable {
  conversation: Conversation | null = null;
  messages: StoredMessage[] = [];
  readonly metas = new Map<string, MessageMeta>();
  readonly typing = new Map<string, ReturnType<typeof setTimeout>>();
  uploads: Upload[] = [];
  replyTo: StoredMessage | null = null;
  error: string | null = null;
  private readonly offs: (() => void)[] = [];
  private lastTypingSent = 0;
  private lastRead: string | null = null;
  private uploadId = 0;
  private closed = false;

  constructor(
    private readonly app: AppModel,
    readonly id: string,
  ) {
    super();
  }

  get client() {
    return this.app.client;
  }

  async open(): Promise<void> {
    const { events } = this.client;
    this.offs.push(
      events.on('message', (m) => {
        if (m.conversationId === this.id) void this.reload();
      }),
      events.on('messageDeleted', (d) => {
        if (d.conversationId === this.id) void this.reload();
      }),
      this.client.watchConversation(this.id, (e) => this.onEvent(e)),
    );
    const onVisible = () => void this.markRead();
    document.addEventListener('visibilitychange', onVisible);
    this.offs.push(() => document.removeEventListener('visibilitychange', onVisible));
    try {
      this.conversation = await this.client.conversation(this.id);
      await this.reload();
      const metas = await this.client.messageMetas(this.id, META_PAGE);
      for (const m of metas.items) this.metas.set(m.id, m);
      this.changed();
    } catch (e) {
      this.error = describeError(e);
      this.changed();
    }
  }

  close(): void {
    this.closed = true;
    for (const off of this.offs.splice(0)) off();
    for (const t of this.typing.values()) clearTimeout(t);
    if (this.lastTypingSent) void this.client.setTyping(this.id, false).catch(() => {});
  }

  /**
   * Answers this conversation's message request. ACCEPT keeps it (the others now get receipts, typing and
   * presence); the others leave it, and the deleting ones clear its messages on all of this user's devices.
   */
  async answerRequest(action: MessageRequestAction): Promise<void> {
    const r = await this.client.respondToMessageRequest(this.id, action);
    if (r.left || action !== 'ACCEPT') {
      await this.app.refresh();
      go({ name: 'chats' });
      return;
    }
    if (this.conversation) this.conversation = { ...this.conversation, messageRequest: false };
    this.changed();
    await this.markRead();
  }

  async reload(): Promise<void> {
    const { messages } = await this.client.history(this.id, { limit: HISTORY_LIMIT });
    if (this.closed) return;
    this.messages = messages;
    this.changed();
    await this.markRead();
  }

  /** Messages still to be shown: those past their disappearing time are gone. */
  visible(now = Date.now()): StoredMessage[] {
    return this.messages.filter((m) => {
      const exp = this.metas.get(m.id)?.expiresAt;
      return !exp || Date.parse(exp) > now;
    });
  }

  find(id: string): StoredMessage | undefined {
    return this.messages.find((m) => m.id === id);
  }

  private onEvent(e: ConversationEvent): void {
    if (e.kind === 'TYPING') {
      if (!e.userId || e.userId === this.app.me.id) return;
      clearTimeout(this.typing.get(e.userId));
      if (e.typing) {
        this.typing.set(
          e.userId,
          setTimeout(() => {
            this.typing.delete(e.userId!);
            this.changed();
          }, TYPING_SHOWN_MS),
        );
      } else this.typing.delete(e.userId);
      this.changed();
      return;
    }
    if (e.message) this.metas.set(e.message.id, e.message);
    if (e.kind === 'MESSAGE' && e.userId) {
      // their message is here: they stopped typing
      clearTimeout(this.typing.get(e.userId));
      this.typing.delete(e.userId);
    }
    if (e.kind === 'EXPIRED' && e.messageId) void this.forgetExpired(e.messageId);
    if (e.kind === 'MEMBERSHIP') {
      void this.client.conversation(this.id).then((c) => {
        this.conversation = c;
        this.changed();
      });
    }
    this.changed();
  }

  /** A disappearing message's time is up: its text and attachment keys are wiped from the device's store too. */
  private async forgetExpired(messageId: string): Promise<void> {
    const m = await this.client.store.getMessage(messageId);
    if (m && !m.deleted) await this.client.store.replaceMessage({ ...m, content: { ...m.content, body: '', attachments: [] }, deleted: true });
    this.messages = this.messages.filter((x) => x.id !== messageId);
    this.changed();
  }

  /** Marks everything up to the newest message from someone else read, when the user can see it. */
  async markRead(): Promise<void> {
    if (document.visibilityState !== 'visible' || this.closed) return;
    const last = [...this.messages].reverse().find((m) => !m.outgoing);
    if (!last || last.id === this.lastRead) return;
    this.lastRead = last.id;
    try {
      await this.client.markRead(this.id, last.id);
      this.app.refreshSoon();
    } catch (e) {
      this.lastRead = null;
      this.app.notify(describeError(e));
    }
  }

  /** Called on each keystroke in the composer: tells the others, at most every few seconds. */
  typed(text: string): void {
    const now = Date.now();
    if (!text) {
      if (this.lastTypingSent) void this.client.setTyping(this.id, false).catch(() => {});
      this.lastTypingSent = 0;
      return;
    }
    if (now - this.lastTypingSent < TYPING_REPEAT_MS) return;
    this.lastTypingSent = now;
    void this.client.setTyping(this.id, true).catch(() => {});
  }

  setReplyTo(m: StoredMessage | null): void {
    this.replyTo = m;
    this.changed();
  }

  private async afterSend(sent: StoredMessage): Promise<void> {
    this.lastTypingSent = 0;
    await this.reload();
    this.app.refreshSoon();
    const meta = await this.client.messageMeta(sent.id).catch(() => null);
    if (meta && !this.metas.has(sent.id)) this.metas.set(sent.id, meta);
    this.changed();
  }

  async send(text: string): Promise<boolean> {
    const replyTo = this.replyTo?.id ?? null;
    try {
      const sent = await this.client.sendMessage(this.id, text, { replyTo });
      this.replyTo = null;
      await this.afterSend(sent);
      return true;
    } catch (e) {
      this.app.notify(describeError(e));
      return false;
    }
  }

  /** Encrypts the file on this device and uploads the ciphertext, with progress, then sends its pointer. */
  async sendFile(bytes: Uint8Array, o: { kind: AttachmentKind; mimeType: string; fileName: string; caption?: string }): Promise<void> {
    const upload: Upload = { id: ++this.uploadId, name: o.fileName, sent: 0, total: bytes.length };
    this.uploads = [...this.uploads, upload];
    this.changed();
    try {
      const sent = await this.client.sendAttachment(this.id, bytes, {
        contentType: o.kind,
        mimeType: o.mimeType,
        fileName: o.fileName,
        caption: o.caption,
        replyTo: this.replyTo?.id ?? null,
        onUploadProgress: (s, total) => {
          upload.sent = s;
          upload.total = total;
          this.changed();
        },
      });
      this.replyTo = null;
      await this.afterSend(sent);
    } catch (e) {
      this.app.notify(`${o.fileName}: ${describeError(e)}`);
    } finally {
      this.uploads = this.uploads.filter((u) => u !== upload);
      this.changed();
    }
  }

  async react(m: StoredMessage, emoji: string): Promise<void> {
    const mine = this.metas.get(m.id)?.reactions.find((r) => r.userId === this.app.me.id)?.emoji;
    try {
      const meta = await this.client.react(m.id, mine === emoji ? null : emoji);
      this.metas.set(meta.id, meta);
      this.changed();
    } catch (e) {
      this.app.notify(describeError(e));
    }
  }

  async deleteForEveryone(m: StoredMessage): Promise<void> {
    try {
      const meta = await this.client.deleteMessage(m.id);
      this.metas.set(meta.id, meta);
      await this.reload();
      this.app.refreshSoon();
    } catch (e) {
      this.app.notify(describeError(e));
    }
  }

  async setTimer(seconds: number | null): Promise<void> {
    try {
      this.conversation = await this.client.setDisappearingTimer(this.id, seconds);
      this.changed();
    } catch (e) {
      this.app.notify(describeError(e));
    }
  }

  typingNames(): string[] {
    const names: string[] = [];
    for (const id of this.typing.keys()) {
      const p = this.conversation?.participants.find((x) => x.userId === id);
      if (p) names.push(p.user.displayName);
    }
    return names;
  }

  senderName(m: StoredMessage): string {
    if (m.outgoing) return 'You';
    return this.conversation?.participants.find((p) => p.userId === m.senderUserId)?.user.displayName ?? 'Someone';
  }
}

export function attachmentKind(mime: string): AttachmentKind {
  if (mime.startsWith('image/')) return 'IMAGE';
  if (mime.startsWith('video/')) return 'VIDEO';
  if (mime.startsWith('audio/')) return 'AUDIO';
  return 'FILE';
}

/** A voice message's length travels in its (encrypted) file name: MediaRecorder's WebM has no duration header. */
export function voiceFileName(seconds: number): string {
  return `voice-${seconds.toFixed(1)}s.webm`;
}
export function voiceDuration(p: AttachmentPointer): number | null {
  const m = /^voice-(\d+(?:\.\d+)?)s\./.exec(p.fileName ?? '');
  return m ? Number(m[1]) : null;
}
