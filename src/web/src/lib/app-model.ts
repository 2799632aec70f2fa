/**
 * The signed-in app's shared state: the conversation list (decrypted previews from the device's store,
 * unread counts from the server), presence of the people the user talks to, the call history, the socket's
 * state and notices. Live: a new or deleted message, a read mark, a presence change or a call event updates
 * it as it happens. Nothing here is logged; errors shown to the user carry codes and ids only.
 */
import type { Call, Conversation, ConversationSummary, MessagingClient, PresenceState } from '@sealed-relay/client';
import { describeError } from './session.js';
import { Observable } from './observable.js';

export interface Person {
  id: string;
  username: string;
  displayName: string;
}

/** How long list refreshes are coalesced (a burst of messages is one request). */
const REFRESH_DEBOUNCE_MS = 120;
const NOTICE_MS = 6000;

export class AppModel extends Observable {
  conversations: ConversationSummary[] = [];
  loaded = false;
  readonly presence = new Map<string, PresenceState>();
  callHistory: Call[] = [];
  connection: 'connected' | 'closed' = 'closed';
  notices: { id: number; text: string }[] = [];
  me: Person;
  private unwatchPresence: (() => void) | null = null;
  private watchedPeers = '';
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly offs: (() => void)[] = [];
  private noticeId = 0;

  constructor(readonly client: MessagingClient) {
    super();
    const c = client.credentials;
    this.me = { id: c.userId, username: c.username, displayName: c.username };
  }

  async start(): Promise<void> {
    const { events } = this.client;
    this.offs.push(
      events.on('message', () => this.refreshSoon()),
      events.on('messageDeleted', () => this.refreshSoon()),
      events.on('connection', (s) => {
        this.connection = s;
        if (s === 'connected') this.refreshSoon();
        this.changed();
      }),
      events.on('call', () => void this.refreshCalls()),
      events.on('error', (e) => this.notify(describeError(e))),
    );
    await this.client.start();
    const me = await this.client.me();
    this.me = { id: me.id, username: me.username, displayName: me.displayName };
    await Promise.all([this.refresh(), this.refreshCalls()]);
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.unwatchPresence?.();
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
  }

  notify(text: string): void {
    const id = ++this.noticeId;
    this.notices = [...this.notices, { id, text }];
    this.changed();
    setTimeout(() => {
      this.notices = this.notices.filter((n) => n.id !== id);
      this.changed();
    }, NOTICE_MS);
  }

  refreshSoon(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, REFRESH_DEBOUNCE_MS);
  }

  async refresh(): Promise<void> {
    try {
      const page = await this.client.conversationList(100);
      this.conversations = page.items;
      this.loaded = true;
      this.watchPeers();
      this.changed();
    } catch (e) {
      this.notify(describeError(e));
    }
  }

  async refreshCalls(): Promise<void> {
    try {
      this.callHistory = (await this.client.calls.history(50)).items;
      this.changed();
    } catch (e) {
      this.notify(describeError(e));
    }
  }

  /** Everyone the user shares a conversation with (the contacts), by display name. */
  people(): Person[] {
    const byId = new Map<string, Person>();
    for (const s of this.conversations) for (const p of s.conversation.participants) if (p.userId !== this.me.id) byId.set(p.userId, p.user);
    return [...byId.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
  }

  /** The other person of a direct conversation. */
  peer(c: Conversation): Person | null {
    if (c.kind !== 'DIRECT') return null;
    return c.participants.find((p) => p.userId !== this.me.id)?.user ?? null;
  }

  title(c: Conversation): string {
    if (c.kind === 'GROUP') return c.name ?? 'Group';
    return this.peer(c)?.displayName ?? 'Note to self';
  }

  summary(id: string): ConversationSummary | undefined {
    return this.conversations.find((s) => s.conversation.id === id);
  }

  isOnline(userId: string): boolean {
    return this.presence.get(userId)?.online ?? false;
  }

  /** Watches the presence of every contact; re-subscribes when the set of contacts changes. */
  private watchPeers(): void {
    const ids = this.people().map((p) => p.id);
    const key = ids.slice().sort().join(',');
    if (key === this.watchedPeers) return;
    this.watchedPeers = key;
    this.unwatchPresence?.();
    this.unwatchPresence = null;
    if (!ids.length) return;
    this.unwatchPresence = this.client.watchPresence(ids, (p) => {
      this.presence.set(p.userId, p);
      this.changed();
    });
    void this.client.presence(ids).then((list) => {
      for (const p of list) this.presence.set(p.userId, p);
      this.changed();
    });
  }
}
