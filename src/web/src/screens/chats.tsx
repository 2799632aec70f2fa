/** The conversation list: avatar, name, a preview decrypted on this device, time, unread badge, online dot, lock. */
import type { ConversationSummary } from '@sealed-relay/client';
import { Avatar } from '../components/avatar.js';
import { Icon } from '../components/icons.js';
import type { AppModel } from '../lib/app-model.js';
import { shortTime } from '../lib/format.js';
import { useObservable } from '../lib/observable.js';
import { href } from '../lib/route.js';

export function preview(s: ConversationSummary): string {
  const m = s.lastMessage;
  if (!m) return 'No messages yet';
  const who = m.outgoing ? 'You: ' : s.conversation.kind === 'GROUP' ? `${s.conversation.participants.find((p) => p.userId === m.senderUserId)?.user.displayName ?? ''}: ` : '';
  if (m.deleted) return `${who}This message was deleted`;
  const a = m.content.attachments[0];
  const kind = a ? (a.contentType.startsWith('image/') ? 'Photo' : a.contentType.startsWith('video/') ? 'Video' : a.contentType.startsWith('audio/') ? 'Voice message' : 'File') : '';
  const text = m.content.body || kind;
  return `${who}${a && m.content.body ? `${kind}: ` : ''}${text}`;
}

export function ChatList({ app, selected }: { app: AppModel; selected?: string }) {
  useObservable(app);
  return (
    <section class="pane-body" aria-labelledby="chats-title">
      <header class="pane-header">
        <h1 id="chats-title">Chats</h1>
        <div class="header-actions">
          <a class="icon-button" href="#/search" aria-label="Search">
            <Icon name="search" />
          </a>
          <a class="icon-button" href="#/new" aria-label="New message">
            <Icon name="compose" />
          </a>
        </div>
      </header>
      {app.connection === 'closed' ? (
        <p class="banner warn" role="status">
          Connecting to the server…
        </p>
      ) : null}
      {!app.loaded ? (
        <p class="empty">Loading…</p>
      ) : app.conversations.length === 0 ? (
        <div class="empty">
          <p>No conversations yet.</p>
          <a class="button primary" href="#/new">
            Start a conversation
          </a>
        </div>
      ) : (
        <ul class="conversation-list" aria-label="Conversations">
          {app.conversations.map((s) => {
            const c = s.conversation;
            const peer = app.peer(c);
            const online = peer ? app.isOnline(peer.id) : false;
            const title = app.title(c);
            const time = s.lastMessage?.timestamp ?? s.lastActivityAt;
            return (
              <li key={c.id}>
                <a
                  class={`conversation-row${selected === c.id ? ' selected' : ''}`}
                  href={href({ name: 'chat', id: c.id })}
                  aria-current={selected === c.id ? 'page' : undefined}
                  data-conversation={c.id}
                  aria-label={`${title}${online ? ', online' : ''}${s.unreadCount ? `, ${s.unreadCount} unread` : ''}`}
                >
                  <Avatar id={peer?.id ?? c.id} name={title} online={online} />
                  <span class="row-main">
                    <span class="row-top">
                      <span class="row-title">{title}</span>
                      <time class="row-time" dateTime={time}>
                        {shortTime(time)}
                      </time>
                    </span>
                    <span class="row-bottom">
                      <Icon name="lock" size={13} class="lock" />
                      <span class="row-preview">{preview(s)}</span>
                      {s.unreadCount ? (
                        <span class="badge" data-unread={s.unreadCount}>
                          {s.unreadCount}
                        </span>
                      ) : null}
                    </span>
                  </span>
                </a>
              </li>
            );
          })}
        </ul>
      )}
      <p class="footnote">
        <Icon name="lock" size={13} /> Messages and calls are end-to-end encrypted: only the people in a conversation can read them.
      </p>
    </section>
  );
}
