/** Inline SVG icons (no icon font, nothing fetched): decorative, so hidden from screen readers; buttons carry the label. */
import type { SVGAttributes } from 'preact';

const PATHS = {
  lock: 'M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5z',
  chats: 'M4 5h16v11H8l-4 4z',
  calls: 'M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2',
  people: 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 10v-1a7 7 0 0 1 14 0v1M17 11a3 3 0 1 0 0-6M22 21v-1a5 5 0 0 0-4-5',
  devices: 'M3 5h14v10H3zM1 19h18M19 8h4v12h-4z',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zm10 3-5-5',
  compose: 'M4 20h4L19 9l-4-4L4 16zM14 6l4 4',
  back: 'M15 5l-7 7 7 7',
  video: 'M3 7h12v10H3zM15 11l6-4v10l-6-4',
  send: 'M3 20l18-8L3 4l3 8zM6 12h15',
  attach: 'M20 12l-8 8a5 5 0 0 1-7-7l9-9a3.5 3.5 0 0 1 5 5l-9 9a2 2 0 0 1-3-3l8-8',
  mic: 'M12 15a3 3 0 0 0 3-3V6a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zM5 11a7 7 0 0 0 14 0M12 18v3',
  more: 'M5 12h.01M12 12h.01M19 12h.01',
  close: 'M6 6l12 12M18 6 6 18',
  timer: 'M12 21a8 8 0 1 0 0-16 8 8 0 0 0 0 16zM12 9v4l3 2M9 2h6',
  shield: 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z',
  hangup: 'M3 15c5-5 13-5 18 0l-3 3-3-2v-3a10 10 0 0 0-6 0v3l-3 2z',
  reply: 'M10 9V5l-7 7 7 7v-4c5 0 8 1 11 5-1-6-4-10-11-11z',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  smile: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8 14a5 5 0 0 0 8 0M9 9h.01M15 9h.01',
  file: 'M6 2h8l5 5v15H6zM14 2v5h5',
  check: 'M4 12l5 5L20 6',
  incoming: 'M17 7 7 17M7 9v8h8',
  outgoing: 'M7 17 17 7M9 7h8v8',
  mute: 'M12 15a3 3 0 0 0 3-3V6a3 3 0 0 0-6 0v6M5 11a7 7 0 0 0 11 5.7M12 18v3M3 3l18 18',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 20, ...rest }: { name: IconName; size?: number } & SVGAttributes<SVGSVGElement>) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
      {...rest}
    >
      <path d={PATHS[name]} />
    </svg>
  );
}

/** Delivery ticks of a sent message: one (sent), two (delivered), two blue (read). */
export function Ticks({ status }: { status: 'SENT' | 'DELIVERED' | 'READ' | null | undefined }) {
  const label = status === 'READ' ? 'Read' : status === 'DELIVERED' ? 'Delivered' : 'Sent';
  return (
    <span class={`ticks ticks-${(status ?? 'SENT').toLowerCase()}`} role="img" aria-label={label} title={label} data-status={status ?? 'SENT'}>
      <svg width="18" height="12" viewBox="0 0 18 12" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round">
        <path d="M1 6.5l3.5 3.5L11 2.5" />
        {status === 'DELIVERED' || status === 'READ' ? <path d="M7.5 10L16 2.5" /> : null}
      </svg>
    </span>
  );
}
