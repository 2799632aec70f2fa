/** The people tab: contacts (everyone the user shares a conversation with) and their presence: online, or last seen. */
import { Avatar } from '../components/avatar.js';
import { Icon } from '../components/icons.js';
import type { AppModel, Person } from '../lib/app-model.js';
import { lastSeen } from '../lib/format.js';
import { useObservable } from '../lib/observable.js';
import { go } from '../lib/route.js';
import { describeError } from '../lib/session.js';

export function People({ app }: { app: AppModel }) {
  useObservable(app);
  const people = app.people();
  async function open(p: Person) {
    try {
      const c = app.conversations.find((s) => app.peer(s.conversation)?.id === p.id)?.conversation ?? (await app.client.createDirectConversation(p.id));
      go({ name: 'chat', id: c.id });
    } catch (e) {
      app.notify(describeError(e));
    }
  }
  return (
    <section class="pane-body" aria-labelledby="people-title">
      <header class="pane-header">
        <h1 id="people-title">People</h1>
        <a class="icon-button" href="#/new" aria-label="Find someone">
          <Icon name="compose" />
        </a>
      </header>
      {people.length === 0 ? (
        <p class="empty">Your contacts appear here once you share a conversation.</p>
      ) : (
        <ul class="simple-list" aria-label="Contacts">
          {people.map((p) => {
            const pr = app.presence.get(p.id);
            return (
              <li key={p.id}>
                <button type="button" class="person-row" onClick={() => void open(p)} data-user={p.username}>
                  <Avatar id={p.id} name={p.displayName} size={40} online={pr?.online} />
                  <span class="row-main">
                    <span class="row-title">{p.displayName}</span>
                    <span class={`presence${pr?.online ? ' online' : ''}`} data-online={Boolean(pr?.online)}>
                      {pr?.online ? 'online' : lastSeen(pr?.lastSeenAt ?? null)}
                    </span>
                  </span>
                  <span class="muted">@{p.username}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
