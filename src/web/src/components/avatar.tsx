/** A person's or group's avatar: initials on a colour derived from the id, with an online dot when given. */
/** Colours are classes (.avatar-bg-0 … -7 in styles.css): the CSP allows no inline style attributes. */
const COLOURS = 8;

function colourOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % COLOURS;
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] ?? '?').slice(0, 2)).toUpperCase();
}

export function Avatar({ id, name, online, size = 44 }: { id: string; name: string; online?: boolean; size?: number }) {
  return (
    <span class={`avatar avatar-${size}`} aria-hidden="true">
      <span class={`avatar-face avatar-bg-${colourOf(id)}`}>{initials(name)}</span>
      {online ? <span class="online-dot" data-online="true" /> : null}
    </span>
  );
}
