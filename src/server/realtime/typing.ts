/**
 * Typing indicators: ephemeral, never stored. `typing: true` lasts TYPING_TTL_MS unless refreshed; the
 * instance that received it publishes `typing: false` when it lapses, so a client that vanishes mid-sentence
 * does not leave a stuck indicator.
 */
import type { EventBus } from './pubsub.js';

export const TYPING_TTL_MS = 5_000;

export class TypingService {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly bus: EventBus,
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
        this.bus.publish('typing', conversationId, { conversationId, userId, typing: false });
      }, this.ttlMs);
      t.unref();
      this.timers.set(key, t);
    }
    this.bus.publish('typing', conversationId, { conversationId, userId, typing });
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
