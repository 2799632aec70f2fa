/** The calls tab: the call history (incoming, outgoing, missed, with duration), newest first. */
import { Avatar } from '../components/avatar.js';
import { Icon } from '../components/icons.js';
import type { AppModel } from '../lib/app-model.js';
import type { CallController } from '../lib/call-controller.js';
import { duration, shortTime } from '../lib/format.js';
import { useObservable } from '../lib/observable.js';

export function CallsTab({ app, calls }: { app: AppModel; calls: CallController }) {
  useObservable(app);
  useObservable(calls);
  return (
    <section class="pane-body" aria-labelledby="calls-title">
      <header class="pane-header">
        <h1 id="calls-title">Calls</h1>
      </header>
      {app.callHistory.length === 0 ? (
        <p class="empty">No calls yet. Start one from a chat.</p>
      ) : (
        <ul class="call-list" aria-label="Call history">
          {app.callHistory.map((c) => {
            const s = app.summary(c.conversationId);
            const title = s ? app.title(s.conversation) : c.direction === 'INCOMING' ? c.caller.displayName : 'Call';
            const what = c.missed
              ? 'Missed'
              : c.direction === 'OUTGOING'
                ? c.status === 'COMPLETED'
                  ? 'Outgoing'
                  : c.status === 'ONGOING' || c.status === 'RINGING'
                    ? 'Outgoing, in progress'
                    : 'Outgoing, not answered'
                : c.status === 'DECLINED' || c.viewerState === 'DECLINED'
                  ? 'Declined'
                  : 'Incoming';
            const peerId = s ? (app.peer(s.conversation)?.id ?? c.conversationId) : c.callerUserId;
            return (
              <li key={c.id} class={`call-row${c.missed ? ' missed' : ''}`} data-call={c.id} data-missed={c.missed} data-direction={c.direction}>
                <Avatar id={peerId} name={title} size={40} />
                <span class="row-main">
                  <span class="row-title">{title}</span>
                  <span class="call-kind">
                    <Icon name={c.direction === 'INCOMING' ? 'incoming' : 'outgoing'} size={14} />
                    {what} {c.media === 'VIDEO' ? 'video' : 'audio'} call
                    {c.durationSeconds != null ? ` · ${duration(c.durationSeconds)}` : ''}
                  </span>
                </span>
                <time dateTime={c.startedAt}>{shortTime(c.startedAt)}</time>
                <button
                  type="button"
                  class="icon-button"
                  aria-label={`Call ${title} again`}
                  disabled={calls.phase !== 'idle'}
                  onClick={() => void calls.startCall(c.conversationId, c.media)}
                >
                  <Icon name={c.media === 'VIDEO' ? 'video' : 'calls'} />
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
