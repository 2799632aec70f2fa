/**
 * The plaintext inside every Signal ciphertext the SDK sends: a small versioned JSON structure, so new
 * features (attachments, replies, edits...) travel end-to-end encrypted without the server learning about
 * them. Encoded as UTF-8 JSON, then padded like Signal's transport padding (0x80 then zeros up to a
 * multiple of PAD_BLOCK) so ciphertext lengths reveal only a coarse size class.
 *
 * Compatibility rule: a decoder accepts any `v >= 1`, reads the fields it knows, keeps the ones it does
 * not know in `unknown` (so they can be shown as "update the app" or re-encoded), and rejects only input
 * that is not a content object at all.
 */

export const CONTENT_VERSION = 1;
/** Padding block: plaintexts are padded to a multiple of this many bytes (Signal uses 160). */
export const PAD_BLOCK = 160;
/** Upper bound on a decoded plaintext, well above any text message; attachments travel as pointers. */
export const MAX_CONTENT_BYTES = 256 * 1024;

export interface AttachmentPointer {
  /** Where the encrypted blob lives (the blob store is outside this SDK). */
  url: string;
  contentType: string;
  size: number;
  /** base64 AES key and digest of the encrypted blob. */
  key: string;
  digest: string;
  fileName?: string;
}

export interface MessageContent {
  v: number;
  body: string;
  attachments: AttachmentPointer[];
  /** Message id of the message this one replies to. */
  replyTo: string | null;
  /** Sender's clock, ms since epoch (the server's time is on the envelope). */
  sentAt: number;
  /**
   * A control message: delete for everyone the message `messageId` (which this sender sent). Carried end to
   * end encrypted, so every recipient device (and the sender's other devices) drop it from their local store.
   */
  delete?: { messageId: string };
  /** Fields a newer sender wrote that this version does not know. */
  unknown?: Record<string, unknown>;
}

export class ContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContentError';
  }
}

const KNOWN = new Set(['v', 'body', 'attachments', 'replyTo', 'sentAt', 'delete']);

export function createContent(
  body: string,
  opts: { attachments?: AttachmentPointer[]; replyTo?: string | null; sentAt?: number; delete?: { messageId: string } } = {},
): MessageContent {
  const c: MessageContent = { v: CONTENT_VERSION, body, attachments: opts.attachments ?? [], replyTo: opts.replyTo ?? null, sentAt: opts.sentAt ?? Date.now() };
  if (opts.delete) c.delete = { messageId: opts.delete.messageId };
  return c;
}

export function encodeContent(content: MessageContent): Uint8Array {
  if (typeof content.body !== 'string') throw new ContentError('"body" expected string');
  if (!Array.isArray(content.attachments)) throw new ContentError('"attachments" expected array');
  if (!Number.isFinite(content.sentAt)) throw new ContentError('"sentAt" expected number');
  const obj: Record<string, unknown> = {
    ...(content.unknown ?? {}),
    v: content.v ?? CONTENT_VERSION,
    body: content.body,
    attachments: content.attachments,
    replyTo: content.replyTo ?? null,
    sentAt: content.sentAt,
    ...(content.delete ? { delete: { messageId: content.delete.messageId } } : {}),
  };
  const json = new TextEncoder().encode(JSON.stringify(obj));
  if (json.length > MAX_CONTENT_BYTES) throw new ContentError(`content is ${json.length} bytes, over ${MAX_CONTENT_BYTES}`);
  return pad(json);
}

export function decodeContent(bytes: Uint8Array): MessageContent {
  if (!(bytes instanceof Uint8Array)) throw new ContentError('expected Uint8Array');
  const raw = unpad(bytes);
  if (raw.length > MAX_CONTENT_BYTES) throw new ContentError('content too large');
  let obj: unknown;
  try {
    obj = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw new ContentError('content is not UTF-8 JSON');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ContentError('content is not an object');
  const o = obj as Record<string, unknown>;
  if (!Number.isInteger(o.v) || (o.v as number) < 1) throw new ContentError('content has no valid version "v"');
  if (typeof o.body !== 'string') throw new ContentError('"body" expected string');
  const attachments = o.attachments === undefined ? [] : o.attachments;
  if (!Array.isArray(attachments) || !attachments.every(isAttachment)) throw new ContentError('"attachments" malformed');
  if (o.replyTo !== undefined && o.replyTo !== null && typeof o.replyTo !== 'string') throw new ContentError('"replyTo" expected string');
  if (typeof o.sentAt !== 'number' || !Number.isFinite(o.sentAt)) throw new ContentError('"sentAt" expected number');
  const del = o.delete as { messageId?: unknown } | undefined;
  if (del !== undefined && (typeof del !== 'object' || del === null || typeof del.messageId !== 'string')) throw new ContentError('"delete" malformed');
  const unknown: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(o)) if (!KNOWN.has(k)) unknown[k] = val;
  const c: MessageContent = { v: o.v as number, body: o.body, attachments, replyTo: (o.replyTo as string | null | undefined) ?? null, sentAt: o.sentAt };
  if (del) c.delete = { messageId: del.messageId as string };
  if (Object.keys(unknown).length) c.unknown = unknown;
  return c;
}

function isAttachment(a: unknown): a is AttachmentPointer {
  if (typeof a !== 'object' || a === null) return false;
  const x = a as Record<string, unknown>;
  return (
    typeof x.url === 'string' &&
    typeof x.contentType === 'string' &&
    Number.isInteger(x.size) &&
    typeof x.key === 'string' &&
    typeof x.digest === 'string' &&
    (x.fileName === undefined || typeof x.fileName === 'string')
  );
}

/** ISO/IEC 7816-4 padding: 0x80 then zeros up to the next multiple of PAD_BLOCK. */
export function pad(data: Uint8Array): Uint8Array {
  const len = Math.ceil((data.length + 1) / PAD_BLOCK) * PAD_BLOCK;
  const out = new Uint8Array(len);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

export function unpad(data: Uint8Array): Uint8Array {
  for (let i = data.length - 1; i >= 0; i--) {
    if (data[i] === 0x80) return data.subarray(0, i);
    if (data[i] !== 0) break;
  }
  throw new ContentError('bad padding');
}
