/**
 * The app's state containers: an Observable notifies its subscribers after a change, and `useObservable`
 * re-renders a component when one it reads changes. Small on purpose (no state library in the bundle).
 */
import { useEffect, useState } from 'preact/hooks';

export class Observable {
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected changed(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** Re-renders the calling component whenever `o` changes; returns `o`. */
export function useObservable<T extends Observable | null>(o: T): T {
  const [, setVersion] = useState(0);
  useEffect(() => o?.subscribe(() => setVersion((v) => v + 1)), [o]);
  return o;
}
