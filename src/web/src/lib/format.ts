/** How times, durations and sizes read on screen (the user's locale). */

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A message or list time: the clock time today, the weekday this week, the date before. */
export function shortTime(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  const d = new Date(t);
  if (new Date(now).toDateString() === d.toDateString()) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (now - t < 6 * DAY) return d.toLocaleDateString([], { weekday: 'short' });
  return d.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** "last seen 5 min ago" style. */
export function lastSeen(iso: string | null, now = Date.now()): string {
  if (!iso) return 'offline';
  const ago = now - Date.parse(iso);
  if (ago < MINUTE) return 'last seen just now';
  if (ago < 60 * MINUTE) return `last seen ${Math.floor(ago / MINUTE)} min ago`;
  if (ago < DAY) return `last seen ${Math.floor(ago / (60 * MINUTE))} h ago`;
  return `last seen ${shortTime(iso, now)}`;
}

/** m:ss */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export const TIMER_CHOICES: { label: string; seconds: number | null }[] = [
  { label: 'Off', seconds: null },
  { label: '30 seconds', seconds: 30 },
  { label: '5 minutes', seconds: 300 },
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '1 week', seconds: 604_800 },
];

export function timerLabel(seconds: number | null | undefined): string {
  return TIMER_CHOICES.find((c) => c.seconds === (seconds ?? null))?.label ?? `${seconds} s`;
}
