/** The call overlay: ringing (in or out), connecting, in a call (remote and local media), ended. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AppModel } from '../lib/app-model.js';
import type { CallController } from '../lib/call-controller.js';
import { duration } from '../lib/format.js';
import { useObservable } from '../lib/observable.js';
import { Avatar } from './avatar.js';
import { Icon } from './icons.js';

function Media({ stream, muted, video, label }: { stream: MediaStream | null; muted: boolean; video: boolean; label: string }) {
  const ref = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  useEffect(() => {
    if (ref.current && ref.current.srcObject !== stream) ref.current.srcObject = stream;
  }, [stream]);
  return video ? (
    <video ref={ref} class={muted ? 'local-video' : 'remote-video'} autoplay playsinline muted={muted} aria-label={label} />
  ) : (
    <audio ref={ref} autoplay muted={muted} aria-label={label} />
  );
}

export function CallScreen({ app, calls }: { app: AppModel; calls: CallController }) {
  useObservable(calls);
  const [, tick] = useState(0);
  useEffect(() => {
    if (calls.phase !== 'connected') return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [calls.phase]);
  const call = calls.call;
  if (calls.phase === 'idle' || !call) return null;
  const summary = app.summary(call.conversationId);
  const title = summary ? app.title(summary.conversation) : call.caller.displayName;
  const video = call.media === 'VIDEO';
  const status =
    calls.phase === 'incoming'
      ? `Incoming ${video ? 'video' : 'audio'} call`
      : calls.phase === 'outgoing'
        ? 'Ringing…'
        : calls.phase === 'connecting'
          ? 'Connecting…'
          : calls.phase === 'connected'
            ? duration((Date.now() - (calls.connectedAt ?? Date.now())) / 1000)
            : calls.endedReason;
  return (
    <div
      class={`call-screen phase-${calls.phase}${video ? ' video' : ''}`}
      role="dialog"
      aria-modal="true"
      aria-label={`Call with ${title}`}
      data-phase={calls.phase}
      data-connection-state={calls.connectionState}
    >
      <div class="call-peer">
        <Avatar id={call.conversationId} name={title} size={96} />
        <h2>{title}</h2>
        <p class="call-status" role="status" aria-live="polite">
          {status}
        </p>
        <p class="e2ee-note">
          <Icon name="lock" size={14} /> End-to-end encrypted
        </p>
      </div>
      {video ? (
        <div class="call-videos">
          <Media stream={calls.remoteStream} muted={false} video label="Their video" />
          <Media stream={calls.localStream} muted video label="Your video" />
        </div>
      ) : (
        <Media stream={calls.remoteStream} muted={false} video={false} label="Their audio" />
      )}
      <div class="call-actions">
        {calls.phase === 'incoming' ? (
          <>
            <button type="button" class="round decline" onClick={() => void calls.decline()} aria-label="Decline call">
              <Icon name="hangup" size={28} />
            </button>
            <button type="button" class="round accept" onClick={() => void calls.accept()} aria-label="Accept call" autofocus>
              <Icon name={video ? 'video' : 'calls'} size={28} />
            </button>
          </>
        ) : calls.phase === 'ended' ? null : (
          <>
            <button type="button" class="round neutral" onClick={() => calls.toggleMute()} aria-pressed={calls.muted} aria-label={calls.muted ? 'Unmute' : 'Mute'}>
              <Icon name={calls.muted ? 'mute' : 'mic'} size={26} />
            </button>
            <button type="button" class="round decline" onClick={() => void calls.hangUp()} aria-label="Hang up" autofocus>
              <Icon name="hangup" size={28} />
            </button>
          </>
        )}
      </div>
    </div>
  );
}
