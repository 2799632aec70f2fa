import type { AppModel, Person } from './app-model.js';
import { go } from './route.js';

/**
 * People for a search term: the user with exactly that username (strangers are found only that way, and
 * only if they are discoverable), then this user's contacts that match.
 */
export async function lookUp(app: AppModel, needle: string, first: number): Promise<Person[]> {
  const [exact, contacts] = await Promise.all([app.client.findUser(needle.replace(/^@/, '')).catch(() => null), app.client.searchContacts(needle, first)]);
  const out = new Map<string, Person>();
  for (const u of [...(exact ? [exact] : []), ...contacts.items]) if (u.id !== app.me.id) out.set(u.id, u);
  return [...out.values()];
}

/** Opens (creating it if need be) the direct conversation with `p`. */
export async function openDirect(app: AppModel, p: Person): Promise<void> {
  const c = await app.client.createDirectConversation(p.id);
  await app.refresh();
  go({ name: 'chat', id: c.id });
}
