/** Hash routes (the server serves one page at `/`): #/chats, #/chat/<id>, #/search, #/new, #/calls, #/people, #/devices. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'chats' }
  | { name: 'chat'; id: string }
  | { name: 'search' }
  | { name: 'new' }
  | { name: 'calls' }
  | { name: 'people' }
  | { name: 'devices' };

export function parse(hash: string): Route {
  const [, a, b] = hash.replace(/^#/, '').split('/');
  if (a === 'chat' && b) return { name: 'chat', id: decodeURIComponent(b) };
  if (a === 'search' || a === 'new' || a === 'calls' || a === 'people' || a === 'devices') return { name: a };
  return { name: 'chats' };
}

export const href = (r: Route) => (r.name === 'chat' ? `#/chat/${encodeURIComponent(r.id)}` : `#/${r.name}`);

export function go(r: Route): void {
  location.hash = href(r);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const on = () => setRoute(parse(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
