/**
 * The app: this browser's device (reopened from IndexedDB, or the welcome screen), then the shell with its
 * tabs (Chats, Calls, People, Devices), the chat beside the list on wide screens or alone on a phone, and
 * the call overlay above everything.
 */
import { isClientError } from '@sealed-relay/client';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { CallScreen } from './components/call-screen.js';
import { Icon, type IconName } from './components/icons.js';
import { AppModel } from './lib/app-model.js';
import { CallController } from './lib/call-controller.js';
import { useObservable } from './lib/observable.js';
import { type Route, useRoute } from './lib/route.js';
import { describeError, resume, type Session, signOut } from './lib/session.js';
import { CallsTab } from './screens/calls.js';
import { Chat } from './screens/chat.js';
import { ChatList } from './screens/chats.js';
import { Devices } from './screens/devices.js';
import { NewMessage } from './screens/new-message.js';
import { People } from './screens/people.js';
import { Search } from './screens/search.js';
import { Welcome } from './screens/welcome.js';

/** A performance mark when the first screen can be used (once per page load). */
function markInteractive(): void {
  if (!performance.getEntriesByName(INTERACTIVE_MARK).length) performance.mark(INTERACTIVE_MARK);
}
export const INTERACTIVE_MARK = 'sealed-relay:interactive';

type Boot = { state: 'loading' } | { state: 'welcome' } | { state: 'locked' } | { state: 'error'; message: string } | { state: 'ready'; session: Session };

export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const open = (wait = false) =>
    resume(wait)
      .then((s) => setBoot(s ? { state: 'ready', session: s } : { state: 'welcome' }))
      .catch((e) => setBoot(isClientError(e, 'StoreLocked') ? { state: 'locked' } : { state: 'error', message: describeError(e) }));
  useEffect(() => {
    void open();
  }, []);

  useEffect(() => {
    // the first screen is usable: the welcome form, or (in Shell) the conversation list; read by `npm run size:web`
    if (boot.state === 'welcome') markInteractive();
  }, [boot.state]);

  if (boot.state === 'loading') return <p class="boot">Opening this device…</p>;
  if (boot.state === 'welcome') return <Welcome onSession={(session) => setBoot({ state: 'ready', session })} />;
  if (boot.state === 'locked') {
    return (
      <main class="welcome">
        <div class="welcome-card">
          <h1>Open in another tab</h1>
          <p>This account is open in another tab of this browser. One device runs in one tab at a time, so its encryption keys never advance in two places.</p>
          <button type="button" class="primary" onClick={() => void open(true)}>
            Use it here once the other tab is closed
          </button>
        </div>
      </main>
    );
  }
  if (boot.state === 'error') {
    return (
      <main class="welcome">
        <div class="welcome-card" role="alert">
          <h1>Could not open this device</h1>
          <p>{boot.message}</p>
          <button type="button" class="primary" onClick={() => void open()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  return <Shell session={boot.session} onSignedOut={() => setBoot({ state: 'welcome' })} />;
}

const TABS: { name: Route['name']; label: string; icon: IconName }[] = [
  { name: 'chats', label: 'Chats', icon: 'chats' },
  { name: 'calls', label: 'Calls', icon: 'calls' },
  { name: 'people', label: 'People', icon: 'people' },
  { name: 'devices', label: 'Devices', icon: 'devices' },
];

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const app = useMemo(() => new AppModel(session.client), [session]);
  const calls = useMemo(() => new CallController(session.client, (t) => app.notify(t), () => void app.refreshCalls()), [session]);
  const [ready, setReady] = useState(false);
  const route = useRoute();
  useObservable(app);
  useEffect(() => {
    void app
      .start()
      .then(() => {
        setReady(true);
        markInteractive();
      })
      .catch((e) => app.notify(describeError(e)));
    return () => {
      calls.dispose();
      app.stop();
    };
  }, [app]);

  const tab = route.name === 'chat' || route.name === 'search' || route.name === 'new' ? 'chats' : route.name;
  const missed = app.callHistory.filter((c) => c.missed).length;
  async function leave() {
    await signOut(session);
    onSignedOut();
  }

  return (
    <div class={`shell route-${route.name}`} data-ready={ready}>
      <a class="skip-link" href="#main-pane">
        Skip to content
      </a>
      <nav class="tabs" aria-label="Main">
        {TABS.map((t) => (
          <a key={t.name} href={`#/${t.name}`} class="tab" aria-current={tab === t.name ? 'page' : undefined}>
            <Icon name={t.icon} />
            <span>{t.label}</span>
            {t.name === 'chats' && app.conversations.some((s) => s.unreadCount) ? <>
                <span class="tab-dot" />
                <span class="visually-hidden">(unread messages)</span>
              </> : null}
            {t.name === 'calls' && missed ? <span class="visually-hidden">({missed} missed)</span> : null}
          </a>
        ))}
      </nav>
      <div class="list-pane" id={route.name === 'chat' ? undefined : 'main-pane'}>
        {route.name === 'search' ? (
          <Search app={app} />
        ) : route.name === 'new' ? (
          <NewMessage app={app} />
        ) : route.name === 'calls' ? (
          <CallsTab app={app} calls={calls} />
        ) : route.name === 'people' ? (
          <People app={app} />
        ) : route.name === 'devices' ? (
          <Devices app={app} onSignOut={() => void leave()} />
        ) : (
          <ChatList app={app} selected={route.name === 'chat' ? route.id : undefined} />
        )}
      </div>
      <main class="detail-pane" id={route.name === 'chat' ? 'main-pane' : undefined}>
        {route.name === 'chat' ? (
          <Chat key={route.id} app={app} calls={calls} id={route.id} />
        ) : (
          <div class="placeholder">
            <Icon name="lock" size={40} />
            <p>Pick a conversation. Everything you send is encrypted on this device first.</p>
          </div>
        )}
      </main>
      <CallScreen app={app} calls={calls} />
      <div class="notices" role="status" aria-live="polite">
        {app.notices.map((n) => (
          <p key={n.id} class="notice">
            {n.text}
          </p>
        ))}
      </div>
    </div>
  );
}
