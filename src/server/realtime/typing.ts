/**
 * Typing indicators: ephemeral, never stored. `typing: true` lasts TYPING_TTL_MS unless refreshed; the
 * instance that received it announces `typing: false` when it lapses, so a client that vanishes mid-sentence
 * does not leave a stuck indicator. Who may type where is the caller's business (conversations domain).
 */
export const TYPING_TTL_MS = 5_000;

export class TypingTracker {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    /** Announces a typing state (the conversations domain publishes it on the bus). */
    private readonly announce: (conversationId: string, userId: string, typing: boolean) => void,
    private readonly ttlMs = TYPING_TTL_MS,
  ) {}

  set(conversationId: string, userId: string, typing: boolean): void {
    const key = `${conversationId}:${userId}`;
    const prev = this.timers.get(key);
    if (prev) clearTimeout(prev);
    this.timers.delete(key);
    if (typing) {
      const t = setTimeout(() => {
        this.timers.delete(key);
        this.announce(conversationId, userId, false);
      }, this.ttlMs);
      t.unref();
      this.timers.set(key, t);
    }
    this.announce(conversationId, userId, typing);
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
