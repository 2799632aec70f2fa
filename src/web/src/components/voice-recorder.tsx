/**
 * Records a voice message with the microphone (MediaRecorder, Opus in WebM) and hands the bytes and the
 * recorded length to `onDone`; nothing leaves the page until the chat encrypts and sends it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { duration } from '../lib/format.js';
import { Icon } from './icons.js';

const MIME = 'audio/webm;codecs=opus';
/** A voice message is at most this long; recording stops by itself then. */
const MAX_SECONDS = 300;

export function VoiceRecorder({ onDone, onCancel }: { onDone: (bytes: Uint8Array, seconds: number, mimeType: string) => void; onCancel: () => void }) {
  const [elapsed, setElapsed] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const recorder = useRef<MediaRecorder | null>(null);
  const started = useRef(0);
  const send = useRef(false);

  useEffect(() => {
    let stream: MediaStream | null = null;
    let tick: ReturnType<typeof setInterval> | undefined;
    let cancelled = false;
    void (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        if (cancelled) {
          for (const t of stream.getTracks()) t.stop();
          return;
        }
        const mimeType = MediaRecorder.isTypeSupported(MIME) ? MIME : '';
        const r = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
        const chunks: Blob[] = [];
        r.ondataavailable = (e) => {
          if (e.data.size) chunks.push(e.data);
        };
        r.onstop = async () => {
          for (const t of stream?.getTracks() ?? []) t.stop();
          if (!send.current) return;
          const blob = new Blob(chunks, { type: r.mimeType || 'audio/webm' });
          onDone(new Uint8Array(await blob.arrayBuffer()), (performance.now() - started.current) / 1000, (r.mimeType || 'audio/webm').split(';')[0]);
        };
        recorder.current = r;
        started.current = performance.now();
        r.start(250);
        tick = setInterval(() => {
          const s = (performance.now() - started.current) / 1000;
          setElapsed(s);
          if (s >= MAX_SECONDS) stop(true);
        }, 200);
      } catch {
        setError('The microphone is not available.');
      }
    })();
    return () => {
      cancelled = true;
      clearInterval(tick);
      if (recorder.current?.state === 'recording') recorder.current.stop();
      for (const t of stream?.getTracks() ?? []) t.stop();
    };
  }, []);

  function stop(andSend: boolean) {
    send.current = andSend;
    if (recorder.current?.state === 'recording') recorder.current.stop();
    if (!andSend) onCancel();
  }

  if (error) {
    return (
      <div class="recorder" role="alert">
        {error}{' '}
        <button type="button" onClick={onCancel}>
          Close
        </button>
      </div>
    );
  }
  return (
    <fieldset class="recorder">
      <legend class="visually-hidden">Recording a voice message</legend>
      <span class="rec-dot" aria-hidden="true" />
      <span class="rec-time" role="timer" aria-live="off">
        {duration(elapsed)}
      </span>
      <button type="button" class="ghost" onClick={() => stop(false)}>
        Cancel
      </button>
      <button type="button" class="primary" onClick={() => stop(true)} aria-label="Stop and send voice message" disabled={!recorder.current}>
        <Icon name="send" /> Send
      </button>
    </fieldset>
  );
}
