/**
 * The safety number with each other member (the SDK's `safetyNumber(userId)`: one number per pair of users
 * over both users' current devices), with a verify action that marks exactly the number shown as verified.
 */
import type { Conversation, SafetyNumber } from '@sealed-relay/client';
import { useEffect, useState } from 'preact/hooks';
import { Icon } from '../components/icons.js';
import type { AppModel } from '../lib/app-model.js';
import { describeError } from '../lib/session.js';

export function SafetyNumbers({ app, conversation }: { app: AppModel; conversation: Conversation }) {
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
            <SafetyRow key={p.userId} app={app} userId={p.userId} name={p.user.displayName} />
          ))}
      </ul>
    </section>
  );
}

function SafetyRow({ app, userId, name }: { app: AppModel; userId: string; name: string }) {
  const [shown, setShown] = useState<SafetyNumber | null>(null);
  useEffect(() => {
    void app.client
      .safetyNumber(userId)
      .then(setShown)
      .catch((e) => app.notify(describeError(e)));
  }, [userId]);
  const groups = shown?.displayable.match(/.{1,5}/g) ?? [];
  return (
    <li class="safety-row">
      <strong>{name}</strong>
      <span class="visually-hidden">Safety number with {name}:</span>
      <code class="safety-number">{groups.join(' ') || '…'}</code>
      {shown?.verified ? (
        <span class="verified">
          <Icon name="check" size={14} /> Verified
        </span>
      ) : (
        <button
          type="button"
          class="small"
          disabled={!shown}
          onClick={() =>
            shown &&
            void app.client
              .verify(userId, shown)
              .then(setShown)
              .catch((e) => app.notify(describeError(e)))
          }
        >
          Mark as verified
        </button>
      )}
    </li>
  );
}
