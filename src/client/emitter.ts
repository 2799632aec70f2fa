/** A minimal typed event emitter (no node:events, so the SDK runs in browsers). */
export class Emitter<E extends Record<string, unknown>> {
  private readonly handlers = new Map<keyof E, Set<(payload: never) => unknown>>();

  on<K extends keyof E>(event: K, handler: (payload: E[K]) => unknown): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as (payload: never) => unknown);
    return () => set!.delete(handler as (payload: never) => unknown);
  }

  /** Calls every handler in turn and waits for the async ones; a throwing handler does not stop the others. */
  async emit<K extends keyof E>(event: K, payload: E[K]): Promise<void> {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const h of [...set]) {
      try {
        await (h as (p: E[K]) => unknown)(payload);
      } catch (err) {
        if (event !== 'error') await this.emit('error' as K, err as E[K]);
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.handlers.get(event)?.size ?? 0;
  }
}
