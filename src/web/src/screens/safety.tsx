/**
 * The safety number of each other member, with a verify action: shown when the SDK provides safety numbers
 * (`safetyNumber(userId)`, `verify(userId)`, being added to the SDK in parallel); until then nothing is
 * shown rather than a number the app computed some other way.
 */
import type { Conversation, MessagingClient } from '@sealed-relay/client';
import { useEffect, useState } from 'preact/hooks';
import { Icon } from '../components/icons.js';
import type { AppModel } from '../lib/app-model.js';
import { describeError } from '../lib/session.js';

interface SafetySdk {
  safetyNumber(userId: string): Promise<{ digits?: string; displayable?: string; verified?: boolean } | string>;
  verify(userId: string): Promise<unknown>;
}

function safetySdk(client: MessagingClient): SafetySdk | null {
  const c = client as unknown as Partial<SafetySdk>;
  return typeof c.safetyNumber === 'function' && typeof c.verify === 'function' ? (c as SafetySdk) : null;
}

export function SafetyNumbers({ app, conversation }: { app: AppModel; conversation: Conversation }) {
  const sdk = safetySdk(app.client);
  if (!sdk) return null;
  return (
    <section class="safety" aria-labelledby="safety-title">
      <h2 id="safety-title">
        <Icon name="shield" size={16} /> Safety numbers
      </h2>
      <p class="note">Compare a safety number with that person (in person, or on a call): if they match, nobody is in the middle.</p>
      <ul class="simple-list">
        {conversation.participants
          .filter((p) => p.userId !== app.me.id)
          .map((p) => (
            <SafetyRow key={p.userId} app={app} sdk={sdk} userId={p.userId} name={p.user.displayName} />
          ))}
      </ul>
    </section>
  );
}

function SafetyRow({ app, sdk, userId, name }: { app: AppModel; sdk: SafetySdk; userId: string; name: string }) {
  const [digits, setDigits] = useState<string | null>(null);
  const [verified, setVerified] = useState(false);
  useEffect(() => {
    void sdk
      .safetyNumber(userId)
      .then((r) => {
        setDigits(typeof r === 'string' ? r : (r.digits ?? r.displayable ?? ''));
        setVerified(typeof r === 'object' && Boolean(r.verified));
      })
      .catch((e) => app.notify(describeError(e)));
  }, [userId]);
  const groups = (digits ?? '').replace(/\D/g, '').match(/.{1,5}/g) ?? [];
  return (
    <li class="safety-row">
      <strong>{name}</strong>
      <span class="visually-hidden">Safety number with {name}:</span>
      <code class="safety-number">
        {groups.join(' ') || '…'}
      </code>
      {verified ? (
        <span class="verified">
          <Icon name="check" size={14} /> Verified
        </span>
      ) : (
        <button
          type="button"
          class="small"
          disabled={!digits}
          onClick={() =>
            void sdk
              .verify(userId)
              .then(() => setVerified(true))
              .catch((e) => app.notify(describeError(e)))
          }
        >
          Mark as verified
        </button>
      )}
    </li>
  );
}
