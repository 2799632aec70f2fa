/**
 * An attachment of a message, shown after it was downloaded and decrypted on this device: images and video
 * inline, voice messages and audio with a player and their duration, other files as a download. The
 * decrypted bytes live only in a blob: URL of this page (revoked when no message shows it any more).
 */
import type { AttachmentPointer, MessagingClient } from '@sealed-relay/client';
import { useEffect, useState } from 'preact/hooks';
import { voiceDuration } from '../lib/chat-model.js';
import { bytes as formatBytes, duration as formatDuration } from '../lib/format.js';
import { Icon } from './icons.js';

/** Files up to this size are fetched and decrypted as soon as they are shown; larger ones on request. */
const AUTO_DOWNLOAD_BYTES = 20 * 1024 * 1024;

const cache = new Map<string, { url: Promise<string>; users: number }>();

function decrypted(client: MessagingClient, p: AttachmentPointer): { url: Promise<string>; release(): void } {
  let entry = cache.get(p.url);
  if (!entry) {
    const url = client.downloadAttachment(p).then((b) => URL.createObjectURL(new Blob([new Uint8Array(b)], { type: p.contentType })));
    entry = { url, users: 0 };
    cache.set(p.url, entry);
    url.catch(() => cache.delete(p.url));
  }
  entry.users++;
  const e = entry;
  return {
    url: e.url,
    release() {
      if (--e.users > 0) return;
      cache.delete(p.url);
      void e.url.then((u) => URL.revokeObjectURL(u)).catch(() => {});
    },
  };
}

export function AttachmentView({ client, pointer }: { client: MessagingClient; pointer: AttachmentPointer }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [wanted, setWanted] = useState(pointer.size <= AUTO_DOWNLOAD_BYTES);
  useEffect(() => {
    if (!wanted) return;
    const d = decrypted(client, pointer);
    let live = true;
    d.url.then((u) => live && setUrl(u)).catch((e) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
      d.release();
    };
  }, [client, pointer.url, wanted]);

  const type = pointer.contentType;
  const name = pointer.fileName ?? 'file';
  if (error) return <p class="attachment-error">Could not decrypt {name}: {error}</p>;
  if (!wanted) {
    return (
      <button type="button" class="file-chip" onClick={() => setWanted(true)}>
        <Icon name="file" /> {name} ({formatBytes(pointer.size)}) — download and decrypt
      </button>
    );
  }
  if (!url) return <span class="attachment-loading" role="status">Decrypting {type.startsWith('audio/') ? 'voice message' : name}…</span>;
  if (type.startsWith('image/')) return <img class="attachment-image" src={url} alt={name} data-decrypted="true" />;
  // biome-ignore lint/a11y/useMediaCaption: a video someone sent carries no caption track
  if (type.startsWith('video/')) return <video class="attachment-video" src={url} controls aria-label={name} data-decrypted="true" />;
  if (type.startsWith('audio/')) {
    const seconds = voiceDuration(pointer);
    return (
      <span class="voice" data-decrypted="true">
        {/* biome-ignore lint/a11y/useMediaCaption: a voice message carries no caption track */}
        <audio src={url} controls preload="metadata" aria-label={seconds != null ? `Voice message, ${formatDuration(seconds)}` : name} />
        {seconds != null ? <span class="voice-duration">{formatDuration(seconds)}</span> : null}
      </span>
    );
  }
  return (
    <a class="file-chip" href={url} download={name} data-decrypted="true">
      <Icon name="file" /> {name} ({formatBytes(pointer.size)})
    </a>
  );
}
