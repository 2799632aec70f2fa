/**
 * A conversation: the end-to-end encryption banner, bubbles (sent and received styled apart) with time and
 * delivery ticks, replies, reactions, delete for everyone, typing, the disappearing-message timer, media and
 * voice messages encrypted on the device (with upload progress), and the audio and video call buttons.
 */
import type { MessageRequestAction, StoredMessage } from '@sealed-relay/client';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { AttachmentView } from '../components/attachment.js';
import { Avatar } from '../components/avatar.js';
import { Icon, Ticks } from '../components/icons.js';
import { VoiceRecorder } from '../components/voice-recorder.js';
import type { AppModel } from '../lib/app-model.js';
import type { CallController } from '../lib/call-controller.js';
import { attachmentKind, ChatModel, voiceFileName } from '../lib/chat-model.js';
import { clockTime, lastSeen, TIMER_CHOICES, timerLabel } from '../lib/format.js';
import { useObservable } from '../lib/observable.js';
import { describeError } from '../lib/session.js';
import { SafetyNumbers } from './safety.js';

const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

export function Chat({ app, calls, id }: { app: AppModel; calls: CallController; id: string }) {
  const chat = useMemo(() => new ChatModel(app, id), [app, id]);
  useEffect(() => {
    void chat.open();
    return () => chat.close();
  }, [chat]);
  useObservable(chat);
  useObservable(app);
  useObservable(calls);
  const [info, setInfo] = useState(false);
  const [, tick] = useState(0);
  const list = useRef<HTMLOListElement>(null);
  const visible = chat.visible();

  // disappearing messages leave the screen when their time is up
  const nextExpiry = Math.min(...visible.map((m) => Date.parse(chat.metas.get(m.id)?.expiresAt ?? '') || Number.POSITIVE_INFINITY));
  useEffect(() => {
    if (!Number.isFinite(nextExpiry)) return;
    const t = setTimeout(() => tick((n) => n + 1), Math.max(0, nextExpiry - Date.now()) + 50);
    return () => clearTimeout(t);
  }, [nextExpiry]);

  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [visible.length, chat.uploads.length]);

  const c = chat.conversation;
  if (!c) {
    return (
      <section class="chat" aria-busy="true">
        <p class="empty">{chat.error ?? 'Opening the conversation…'}</p>
      </section>
    );
  }
  const title = app.title(c);
  const peer = app.peer(c);
  const presence = peer ? app.presence.get(peer.id) : undefined;
  const typing = chat.typingNames();
  const status = typing.length
    ? `${typing.join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…`
    : peer
      ? presence?.online
        ? 'online'
        : lastSeen(presence?.lastSeenAt ?? null)
      : `${c.participants.length} members`;
  const busy = calls.phase !== 'idle';

  return (
    <section class="chat" aria-labelledby="chat-title">
      <header class="chat-header">
        <a class="icon-button back" href="#/chats" aria-label="Back to chats">
          <Icon name="back" />
        </a>
        <button type="button" class="chat-title-button" onClick={() => setInfo(!info)} aria-expanded={info} aria-controls="chat-info">
          <Avatar id={peer?.id ?? c.id} name={title} size={36} online={presence?.online} />
          <span class="chat-title-text">
            <span id="chat-title" class="chat-title">
              {title}
            </span>
            <span class={`chat-status${typing.length ? ' typing' : ''}`} data-typing={typing.length > 0}>
              {status}
            </span>
          </span>
        </button>
        {c.disappearingSeconds ? (
          <span class="timer-badge" title="Disappearing messages">
            <Icon name="timer" size={14} /> {timerLabel(c.disappearingSeconds)}
          </span>
        ) : null}
        <button type="button" class="icon-button" aria-label="Audio call" disabled={busy} onClick={() => void calls.startCall(c.id, 'AUDIO')}>
          <Icon name="calls" />
        </button>
        <button type="button" class="icon-button" aria-label="Video call" disabled={busy} onClick={() => void calls.startCall(c.id, 'VIDEO')}>
          <Icon name="video" />
        </button>
        <button type="button" class="icon-button" aria-label="Conversation info" aria-expanded={info} aria-controls="chat-info" onClick={() => setInfo(!info)}>
          <Icon name="more" />
        </button>
      </header>
      {info ? <ChatInfo app={app} chat={chat} /> : null}
      <ol class="messages" ref={list} aria-label={`Messages with ${title}`} aria-live="polite" aria-relevant="additions">
        <li class="e2ee-banner" role="note">
          <Icon name="lock" size={14} /> Messages and calls in this chat are end-to-end encrypted. The server relays ciphertext it cannot read.
        </li>
        {visible.map((m) => (
          <Bubble key={m.id} app={app} chat={chat} m={m} group={c.kind === 'GROUP'} />
        ))}
        {chat.uploads.map((u) => (
          <li key={`u${u.id}`} class="msg out">
            <div class="bubble upload">
              <span>Encrypting and sending {u.name}</span>
              <progress max={u.total} value={u.sent} aria-label={`Uploading ${u.name}`} />
              <span class="upload-pct">{u.total ? Math.round((u.sent / u.total) * 100) : 0}%</span>
            </div>
          </li>
        ))}
      </ol>
      <p class="typing-indicator" aria-live="polite">
        {typing.length ? `${typing.join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…` : ''}
      </p>
      {c.messageRequest ? <RequestBar app={app} chat={chat} title={title} /> : <Composer chat={chat} />}
    </section>
  );
}

/**
 * A conversation started by someone who is not yet a contact: its messages are shown, and until the user
 * accepts, the sender sees no read receipts, typing or presence of theirs (docs/trust.md).
 */
function RequestBar({ app, chat, title }: { app: AppModel; chat: ChatModel; title: string }) {
  const [busy, setBusy] = useState(false);
  const answer = (action: MessageRequestAction) => {
    setBusy(true);
    void chat
      .answerRequest(action)
      .catch((e) => app.notify(describeError(e)))
      .finally(() => setBusy(false));
  };
  return (
    <section class="request-bar" aria-label="Message request">
      <p>
        <strong>{title}</strong> wants to message you. Until you accept, they cannot see that you read their messages, when you are online, or when you
        are typing.
      </p>
      <div class="request-actions">
        <button type="button" class="primary" disabled={busy} onClick={() => answer('ACCEPT')}>
          Accept
        </button>
        <button type="button" disabled={busy} onClick={() => answer('DELETE')}>
          Delete
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => answer('BLOCK')}>
          Block
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => answer('BLOCK_AND_SPAM')}>
          Report spam and block
        </button>
      </div>
    </section>
  );
}

function Bubble({ app, chat, m, group }: { app: AppModel; chat: ChatModel; m: StoredMessage; group: boolean }) {
  const [menu, setMenu] = useState(false);
  const meta = chat.metas.get(m.id);
  const quoted = m.content.replyTo ? chat.find(m.content.replyTo) : undefined;
  const reactions = new Map<string, string[]>();
  for (const r of meta?.reactions ?? []) reactions.set(r.emoji, [...(reactions.get(r.emoji) ?? []), r.userId]);
  const mine = meta?.reactions.find((r) => r.userId === app.me.id)?.emoji;
  const menuId = `menu-${m.id}`;
  return (
    <li class={`msg ${m.outgoing ? 'out' : 'in'}${m.deleted ? ' deleted' : ''}`} data-message-id={m.id} data-body={m.deleted ? '' : m.content.body}>
      <div class="bubble">
        {group && !m.outgoing ? <span class="sender">{chat.senderName(m)}</span> : null}
        {m.content.replyTo ? (
          <blockquote class="quote" aria-label="In reply to">
            <span class="quote-sender">{quoted ? chat.senderName(quoted) : ''}</span>
            <span class="quote-text">{quoted ? (quoted.deleted ? 'This message was deleted' : quoted.content.body || 'Attachment') : 'A message not on this device'}</span>
          </blockquote>
        ) : null}
        {m.deleted ? (
          <em class="deleted-text">This message was deleted</em>
        ) : (
          <>
            {m.content.attachments.map((a) => (
              <AttachmentView key={a.url} client={app.client} pointer={a} />
            ))}
            {m.content.body ? <p class="body">{m.content.body}</p> : null}
          </>
        )}
        <span class="meta">
          {meta?.expiresAt ? <Icon name="timer" size={12} aria-label="Disappearing" /> : null}
          <time dateTime={m.timestamp}>{clockTime(m.timestamp)}</time>
          {m.outgoing && !m.deleted ? <Ticks status={meta?.status} /> : null}
        </span>
      </div>
      {reactions.size ? (
        <ul class="reactions" aria-label="Reactions">
          {[...reactions].map(([emoji, users]) => (
            <li key={emoji} class={users.includes(app.me.id) ? 'mine' : ''} data-emoji={emoji}>
              {emoji}
              {users.length > 1 ? ` ${users.length}` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      {m.deleted ? null : (
        <div class="msg-tools">
          <button type="button" class="icon-button small" aria-label="Message actions" aria-haspopup="menu" aria-expanded={menu} aria-controls={menuId} onClick={() => setMenu(!menu)}>
            <Icon name="more" size={16} />
          </button>
          {menu ? (
            <div class="msg-menu" id={menuId} role="menu" onKeyDown={(e) => e.key === 'Escape' && setMenu(false)}>
              <fieldset class="reaction-picker">
                <legend class="visually-hidden">React</legend>
                {REACTIONS.map((r) => (
                  <button
                    key={r}
                    type="button"
                    role="menuitemcheckbox"
                    aria-checked={mine === r}
                    aria-label={`React with ${r}`}
                    onClick={() => {
                      setMenu(false);
                      void chat.react(m, r);
                    }}
                  >
                    {r}
                  </button>
                ))}
              </fieldset>
              <button
                type="button"
                role="menuitem"
                onClick={() => {
                  setMenu(false);
                  chat.setReplyTo(m);
                }}
              >
                <Icon name="reply" size={16} /> Reply
              </button>
              {m.outgoing ? (
                <button
                  type="button"
                  role="menuitem"
                  class="danger"
                  onClick={() => {
                    setMenu(false);
                    void chat.deleteForEveryone(m);
                  }}
                >
                  <Icon name="trash" size={16} /> Delete for everyone
                </button>
              ) : null}
            </div>
          ) : null}
        </div>
      )}
    </li>
  );
}

function Composer({ chat }: { chat: ChatModel }) {
  const [text, setText] = useState('');
  const [recording, setRecording] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  const file = useRef<HTMLInputElement>(null);
  useObservable(chat);
  useEffect(() => {
    if (chat.replyTo) input.current?.focus();
  }, [chat.replyTo]);

  async function submit(e?: Event) {
    e?.preventDefault();
    const body = text.trim();
    if (!body) return;
    setText('');
    chat.typed('');
    if (!(await chat.send(body))) setText(body);
    input.current?.focus();
  }

  async function pick(e: Event) {
    const el = e.currentTarget as HTMLInputElement;
    const files = [...(el.files ?? [])];
    el.value = '';
    for (const f of files) {
      const mimeType = f.type || 'application/octet-stream';
      await chat.sendFile(new Uint8Array(await f.arrayBuffer()), { kind: attachmentKind(mimeType), mimeType, fileName: f.name });
    }
  }

  return (
    <form class="composer" onSubmit={submit} aria-label="Write a message">
      {chat.replyTo ? (
        <div class="reply-preview">
          <Icon name="reply" size={16} />
          <span>
            Replying to <strong>{chat.senderName(chat.replyTo)}</strong>: {chat.replyTo.content.body || 'Attachment'}
          </span>
          <button type="button" class="icon-button small" aria-label="Cancel reply" onClick={() => chat.setReplyTo(null)}>
            <Icon name="close" size={16} />
          </button>
        </div>
      ) : null}
      {recording ? (
        <VoiceRecorder
          onCancel={() => setRecording(false)}
          onDone={(bytes, seconds, mimeType) => {
            setRecording(false);
            void chat.sendFile(bytes, { kind: 'AUDIO', mimeType, fileName: voiceFileName(seconds) });
          }}
        />
      ) : (
        <div class="composer-row">
          <button type="button" class="icon-button" aria-label="Attach a photo, video or file" onClick={() => file.current?.click()}>
            <Icon name="attach" />
          </button>
          <input ref={file} type="file" class="visually-hidden" tabIndex={-1} aria-hidden="true" multiple onChange={pick} data-testid="file-input" />
          <label for="composer-input" class="visually-hidden">
            Message
          </label>
          <textarea
            id="composer-input"
            ref={input}
            rows={1}
            placeholder="Message"
            value={text}
            onInput={(e) => {
              setText(e.currentTarget.value);
              chat.typed(e.currentTarget.value);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                void submit();
              }
            }}
          />
          {text.trim() ? (
            <button type="submit" class="icon-button send" aria-label="Send">
              <Icon name="send" />
            </button>
          ) : (
            <button type="button" class="icon-button" aria-label="Record a voice message" onClick={() => setRecording(true)}>
              <Icon name="mic" />
            </button>
          )}
        </div>
      )}
    </form>
  );
}

function ChatInfo({ app, chat }: { app: AppModel; chat: ChatModel }) {
  const c = chat.conversation!;
  return (
    <aside id="chat-info" class="chat-info" aria-label="Conversation info">
      <label class="inline">
        <Icon name="timer" size={16} /> Disappearing messages
        <select
          value={String(c.disappearingSeconds ?? '')}
          onChange={(e) => {
            const v = e.currentTarget.value;
            void chat.setTimer(v ? Number(v) : null);
          }}
        >
          {TIMER_CHOICES.map((t) => (
            <option key={t.label} value={t.seconds == null ? '' : String(t.seconds)}>
              {t.label}
            </option>
          ))}
        </select>
      </label>
      <p class="note">New messages disappear from every device this long after they are sent.</p>
      <h2>Members</h2>
      <ul class="simple-list">
        {c.participants.map((p) => (
          <li key={p.userId} class="person-row static">
            <Avatar id={p.userId} name={p.user.displayName} size={32} online={app.isOnline(p.userId)} />
            <span>
              {p.user.displayName} <span class="muted">@{p.user.username}</span>
              {p.userId === app.me.id ? <span class="muted"> (you)</span> : null}
            </span>
          </li>
        ))}
      </ul>
      <SafetyNumbers app={app} conversation={c} />
    </aside>
  );
}
