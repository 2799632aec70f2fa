/** First run in this browser: register a new user, or link this browser to an existing account with a link code. */
import { useState } from 'preact/hooks';
import { Icon } from '../components/icons.js';
import { Segmented } from '../components/segmented.js';
import { describeError, link, register, type Session } from '../lib/session.js';

export function Welcome({ onSession }: { onSession: (s: Session) => void }) {
  const [mode, setMode] = useState<'register' | 'link'>('register');
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSession(mode === 'register' ? await register(username.trim(), displayName.trim() || username.trim()) : await link(code.trim()));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="welcome">
      <div class="welcome-card">
        <div class="brand" aria-hidden="true">
          <Icon name="lock" size={32} />
        </div>
        <h1>sealed-relay</h1>
        <p class="lead">End-to-end encrypted messages and calls. Your keys are made and kept in this browser; the server only relays ciphertext.</p>
        <Segmented
          name="start"
          label="How to start"
          value={mode}
          onChange={setMode}
          options={[
            { value: 'register', label: 'New account' },
            { value: 'link', label: 'Link to an existing account' },
          ]}
        />
        <form class="stack" onSubmit={submit}>
          {mode === 'register' ? (
            <>
              <label>
                Username
                <input
                  name="username"
                  value={username}
                  onInput={(e) => setUsername(e.currentTarget.value)}
                  required
                  minLength={3}
                  maxLength={32}
                  pattern="[A-Za-z0-9_.\-]+"
                  autocomplete="username"
                  aria-describedby="username-hint"
                  autofocus
                />
              </label>
              <span id="username-hint" class="hint">
                3–32 letters, digits, “_”, “.” or “-”. Others find you by it.
              </span>
              <label>
                Display name
                <input name="displayName" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} maxLength={64} autocomplete="name" />
              </label>
            </>
          ) : (
            <>
              <label>
                Link code
                <input name="code" value={code} onInput={(e) => setCode(e.currentTarget.value)} required autocomplete="one-time-code" autofocus />
              </label>
              <span class="hint">On a device already signed in: Devices → Show a link code.</span>
            </>
          )}
          {error ? (
            <p class="error" role="alert">
              {error}
            </p>
          ) : null}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating keys…' : mode === 'register' ? 'Create account' : 'Link this browser'}
          </button>
        </form>
      </div>
    </main>
  );
}
