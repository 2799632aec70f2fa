/** New message: find a user by username, then start a direct conversation, or pick several and create a group. */
import { useEffect, useState } from 'preact/hooks';
import { Avatar } from '../components/avatar.js';
import { Icon } from '../components/icons.js';
import { Segmented } from '../components/segmented.js';
import type { AppModel, Person } from '../lib/app-model.js';
import { lookUp, openDirect } from '../lib/directory.js';
import { go } from '../lib/route.js';
import { describeError } from '../lib/session.js';

export function NewMessage({ app }: { app: AppModel }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Person[]>([]);
  const [group, setGroup] = useState(false);
  const [picked, setPicked] = useState<Person[]>([]);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const needle = q.trim();
    if (!needle) return setFound([]);
    let live = true;
    const t = setTimeout(() => {
      lookUp(app, needle, 20)
        .then((list) => live && setFound(list))
        .catch((e) => app.notify(describeError(e)));
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [q]);

  async function start(p: Person) {
    setBusy(true);
    try {
      await openDirect(app, p);
    } catch (e) {
      app.notify(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  async function createGroup(e: Event) {
    e.preventDefault();
    if (!picked.length || !name.trim()) return;
    setBusy(true);
    try {
      const c = await app.client.createGroup(name.trim(), picked.map((p) => p.id));
      await app.refresh();
      go({ name: 'chat', id: c.id });
    } catch (err) {
      app.notify(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const toggle = (p: Person) => setPicked((list) => (list.some((x) => x.id === p.id) ? list.filter((x) => x.id !== p.id) : [...list, p]));

  return (
    <section class="pane-body" aria-labelledby="new-title">
      <header class="pane-header">
        <a class="icon-button" href="#/chats" aria-label="Back to chats">
          <Icon name="back" />
        </a>
        <h1 id="new-title">{group ? 'New group' : 'New message'}</h1>
      </header>
      <Segmented
        name="kind"
        label="Kind of conversation"
        value={group ? 'group' : 'direct'}
        onChange={(v) => setGroup(v === 'group')}
        options={[
          { value: 'direct', label: 'Direct message' },
          { value: 'group', label: 'Group' },
        ]}
      />
      {group ? (
        <form class="stack" onSubmit={createGroup}>
          <label>
            Group name
            <input value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={64} />
          </label>
          {picked.length ? (
            <ul class="chips" aria-label="Members">
              {picked.map((p) => (
                <li key={p.id}>
                  <button type="button" class="chip" onClick={() => toggle(p)} aria-label={`Remove ${p.displayName}`}>
                    {p.displayName} <Icon name="close" size={14} />
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
          <button type="submit" class="primary" disabled={busy || !picked.length || !name.trim()}>
            Create group ({picked.length + 1} members)
          </button>
        </form>
      ) : null}
      <div class="search-box">
        <label for="find-user" class="visually-hidden">
          Find a user by username
        </label>
        <Icon name="search" />
        <input id="find-user" type="search" placeholder="Username" value={q} onInput={(e) => setQ(e.currentTarget.value)} autofocus autocomplete="off" />
      </div>
      <ul class="simple-list" aria-label="Users found">
        {found.map((p) => {
          const on = picked.some((x) => x.id === p.id);
          return (
            <li key={p.id}>
              <button
                type="button"
                class="person-row"
                disabled={busy}
                onClick={() => (group ? toggle(p) : void start(p))}
                aria-pressed={group ? on : undefined}
                data-username={p.username}
              >
                <Avatar id={p.id} name={p.displayName} size={36} online={app.isOnline(p.id)} />
                <span>
                  {p.displayName} <span class="muted">@{p.username}</span>
                </span>
                {group && on ? <Icon name="check" /> : null}
              </button>
            </li>
          );
        })}
      </ul>
      {q.trim() && !found.length ? <p class="empty-small">Nobody with that username yet.</p> : null}
    </section>
  );
}
