/**
 * Devices: the account's devices (this one marked), linking a new one with a one-time link code (shown as
 * text and as a QR code), removing one, and signing this browser out (removes this device and its data).
 */
import { useEffect, useState } from 'preact/hooks';
import { Icon } from '../components/icons.js';
import { QrCode } from '../components/qr-code.js';
import type { AppModel } from '../lib/app-model.js';
import { shortTime } from '../lib/format.js';
import { describeError } from '../lib/session.js';

type Device = Awaited<ReturnType<AppModel['client']['me']>>['devices'][number];

export function Devices({ app, onSignOut }: { app: AppModel; onSignOut: () => void }) {
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [code, setCode] = useState<{ code: string; expiresAt: string } | null>(null);
  const [now, setNow] = useState(Date.now());
  const own = app.client.credentials.deviceUuid;

  const load = () =>
    app.client
      .me()
      .then((me) => setDevices(me.devices))
      .catch((e) => app.notify(describeError(e)));
  useEffect(() => {
    void load();
  }, []);
  useEffect(() => {
    if (!code) return;
    const t = setInterval(() => {
      setNow(Date.now());
      if (Date.parse(code.expiresAt) <= Date.now()) setCode(null);
      void load();
    }, 1000);
    return () => clearInterval(t);
  }, [code]);

  async function remove(d: Device) {
    try {
      await app.client.removeDevice(d.id);
      await load();
    } catch (e) {
      app.notify(describeError(e));
    }
  }

  return (
    <section class="pane-body" aria-labelledby="devices-title">
      <header class="pane-header">
        <h1 id="devices-title">Devices</h1>
      </header>
      <p class="note">
        Signed in as <strong>{app.me.displayName}</strong> (@{app.me.username}). Each device has its own keys; messages are encrypted for every one of them.
      </p>
      <ul class="simple-list" aria-label="Your devices">
        {(devices ?? []).map((d) => (
          <li key={d.id} class="device-row" data-device={d.id}>
            <Icon name="devices" />
            <span class="row-main">
              <span class="row-title">
                {d.name} {d.id === own ? <span class="tag">This browser</span> : null}
              </span>
              <span class="muted">
                Added {shortTime(d.createdAt)}
                {d.lastSeenAt ? ` · last seen ${shortTime(d.lastSeenAt)}` : ''}
              </span>
            </span>
            {d.id === own ? null : (
              <button type="button" class="small danger" onClick={() => void remove(d)} aria-label={`Remove ${d.name}`}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      <h2>Link a new device</h2>
      {code ? (
        <div class="link-code">
          <QrCode value={code.code} label="Link code as a QR code" />
          <p>
            On the new device choose “Link to an existing account” and enter: <code class="code" data-link-code={code.code}>{code.code}</code>
          </p>
          <p class="muted">Valid for {Math.max(0, Math.round((Date.parse(code.expiresAt) - now) / 1000))} s, once.</p>
        </div>
      ) : (
        <button
          type="button"
          class="primary"
          onClick={() =>
            void app.client
              .createLinkCode()
              .then(setCode)
              .catch((e) => app.notify(describeError(e)))
          }
        >
          Show a link code
        </button>
      )}
      <h2>This browser</h2>
      <button type="button" class="danger" onClick={onSignOut}>
        Sign out and delete this device’s data
      </button>
    </section>
  );
}
