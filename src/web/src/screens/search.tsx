/**
 * Search: conversations and people by name (the list and the server's user directory), and messages by
 * text, searched on this device over its own store: the server holds only ciphertext and cannot search it.
 */
import type { StoredMessage } from '@sealed-relay/client';
import { useEffect, useState } from 'preact/hooks';
import { Avatar } from '../components/avatar.js';
import { Icon } from '../components/icons.js';
import type { AppModel, Person } from '../lib/app-model.js';
import { lookUp, openDirect } from '../lib/directory.js';
import { shortTime } from '../lib/format.js';
import { useObservable } from '../lib/observable.js';
import { href } from '../lib/route.js';
import { describeError } from '../lib/session.js';

const MAX_MESSAGE_HITS = 50;

export function Search({ app }: { app: AppModel }) {
  useObservable(app);
  const [q, setQ] = useState('');
  const [people, setPeople] = useState<Person[]>([]);
  const [hits, setHits] = useState<StoredMessage[]>([]);
  const [busy, setBusy] = useState(false);
  const needle = q.trim().toLowerCase();

  useEffect(() => {
    if (!needle) {
      setPeople([]);
      setHits([]);
      return;
    }
    let live = true;
    setBusy(true);
    const t = setTimeout(async () => {
      try {
        const [dir, found] = await Promise.all([lookUp(app, needle, 10).catch(() => []), searchLocal(app, needle)]);
        if (!live) return;
        setPeople(dir);
        setHits(found);
      } catch (e) {
        app.notify(describeError(e));
      } finally {
        if (live) setBusy(false);
      }
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [needle]);

  const conversations = needle
    ? app.conversations.filter(
        (s) => app.title(s.conversation).toLowerCase().includes(needle) || s.conversation.participants.some((p) => p.user.username.toLowerCase().includes(needle)),
      )
    : [];

  async function openWith(p: Person) {
    await openDirect(app, p).catch((e) => app.notify(describeError(e)));
  }

  return (
    <section class="pane-body" aria-labelledby="search-title">
      <header class="pane-header">
        <a class="icon-button" href="#/chats" aria-label="Back to chats">
          <Icon name="back" />
        </a>
        <h1 id="search-title">Search</h1>
      </header>
      <div class="search-box">
        <label for="search-input" class="visually-hidden">
          Search conversations, people and messages
        </label>
        <Icon name="search" />
        <input id="search-input" type="search" placeholder="Search" value={q} onInput={(e) => setQ(e.currentTarget.value)} autofocus autocomplete="off" />
      </div>
      <p class="note" id="search-note">
        <Icon name="shield" size={14} /> Messages are searched on this device only: the server stores only ciphertext and cannot search it.
      </p>
      {needle ? (
        <div class="search-results" aria-busy={busy}>
          <h2>Conversations</h2>
          {conversations.length ? (
            <ul class="simple-list">
              {conversations.map((s) => (
                <li key={s.conversation.id}>
                  <a class="person-row" href={href({ name: 'chat', id: s.conversation.id })}>
                    <Avatar id={app.peer(s.conversation)?.id ?? s.conversation.id} name={app.title(s.conversation)} size={36} />
                    <span>{app.title(s.conversation)}</span>
                  </a>
                </li>
              ))}
            </ul>
          ) : (
            <p class="empty-small">No conversation matches.</p>
          )}
          <h2>People</h2>
          {people.length ? (
            <ul class="simple-list">
              {people.map((p) => (
                <li key={p.id}>
                  <button type="button" class="person-row" onClick={() => void openWith(p)}>
                    <Avatar id={p.id} name={p.displayName} size={36} online={app.isOnline(p.id)} />
                    <span>
                      {p.displayName} <span class="muted">@{p.username}</span>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p class="empty-small">{busy ? 'Searching…' : 'Nobody by that name.'}</p>
          )}
          <h2>Messages</h2>
          {hits.length ? (
            <ul class="simple-list" aria-label="Messages found on this device">
              {hits.map((m) => {
                const s = app.summary(m.conversationId);
                return (
                  <li key={m.id}>
                    <a class="message-hit" href={href({ name: 'chat', id: m.conversationId })}>
                      <span class="hit-top">
                        <strong>{s ? app.title(s.conversation) : 'Conversation'}</strong>
                        <time dateTime={m.timestamp}>{shortTime(m.timestamp)}</time>
                      </span>
                      <Highlight text={m.content.body} needle={needle} />
                    </a>
                  </li>
                );
              })}
            </ul>
          ) : (
            <p class="empty-small">{busy ? 'Searching…' : 'No message on this device contains that.'}</p>
          )}
        </div>
      ) : null}
    </section>
  );
}

function Highlight({ text, needle }: { text: string; needle: string }) {
  const i = text.toLowerCase().indexOf(needle);
  if (i < 0) return <span class="hit-text">{text}</span>;
  const start = Math.max(0, i - 30);
  return (
    <span class="hit-text">
      {start > 0 ? '…' : ''}
      {text.slice(start, i)}
      <mark>{text.slice(i, i + needle.length)}</mark>
      {text.slice(i + needle.length, i + needle.length + 60)}
    </span>
  );
}

/** Full-text search over the device's decrypted store, newest first. */
async function searchLocal(app: AppModel, needle: string): Promise<StoredMessage[]> {
  const found: StoredMessage[] = [];
  for (const s of app.conversations) {
    for (const m of await app.client.messages(s.conversation.id)) {
      if (!m.deleted && m.content.body.toLowerCase().includes(needle)) found.push(m);
    }
  }
  return found.sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp)).slice(0, MAX_MESSAGE_HITS);
}
