/**
 * Encrypted attachments, client side (self-contained: WebCrypto + fetch only, no Node APIs).
 *
 *   const enc = await encryptAttachment(fileBytes);          // { ciphertext, key, digest, size }
 *   const { id } = await uploadAttachment(baseUrl, token, enc.ciphertext);
 *   // send { id, key, digest, size, contentType, fileName } INSIDE the end-to-end encrypted message,
 *   // then bind it server side: sendMessage(attachmentIds) / attachToMessage(messageId, [id])
 *   const ct = await downloadAttachment(baseUrl, token, id);
 *   const bytes = await decryptAttachment(ct, key, digest);  // verifies the digest first
 *
 * Format: ciphertext = iv (12 bytes) || AES-256-GCM(key, iv, plaintext) (16-byte tag at the end), with a
 * fresh random 32-byte key per attachment; digest = SHA-256(ciphertext). The server stores and serves only
 * the ciphertext and never learns the key.
 */

export type AttachmentErrorCode = 'DigestMismatch' | 'DecryptFailed' | 'InvalidKey' | 'TooLarge' | 'NotFound' | 'Unauthenticated' | 'Http';

export class AttachmentError extends Error {
  constructor(
    readonly code: AttachmentErrorCode,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = `Attachment${code}Error`;
  }
}

/** The downloaded ciphertext does not hash to the digest the sender put in the message: tampered or corrupt. */
export class AttachmentDigestMismatchError extends AttachmentError {
  constructor() {
    super('DigestMismatch', 'attachment ciphertext does not match its SHA-256 digest');
  }
}

export interface EncryptedAttachment {
  /** iv || AES-GCM ciphertext || tag: what gets uploaded. */
  ciphertext: Uint8Array;
  /** 32-byte AES-256 key: goes inside the E2EE message only. */
  key: Uint8Array;
  /** SHA-256 of `ciphertext` (32 bytes). */
  digest: Uint8Array;
  /** Plaintext size in bytes. */
  size: number;
}

export interface UploadedAttachment {
  id: string;
  /** Ciphertext bytes the server stored. */
  size: number;
  /** SHA-256 of what the server received (32 bytes); uploadAttachment checks it against the local digest. */
  digest: Uint8Array;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new AttachmentError('Http', 'WebCrypto (globalThis.crypto.subtle) is not available');
  return s;
}

/** An ArrayBuffer-backed copy/view WebCrypto accepts under every lib setting. */
function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', buf(bytes)));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Encrypts a file's bytes with a fresh random key. */
export async function encryptAttachment(bytes: Uint8Array): Promise<EncryptedAttachment> {
  const key = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const k = await subtle().importKey('raw', key, 'AES-GCM', false, ['encrypt']);
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, tagLength: TAG_BYTES * 8 }, k, buf(bytes)));
  const ciphertext = new Uint8Array(IV_BYTES + sealed.length);
  ciphertext.set(iv, 0);
  ciphertext.set(sealed, IV_BYTES);
  return { ciphertext, key, digest: await sha256(ciphertext), size: bytes.length };
}

/**
 * Verifies SHA-256(ciphertext) against `digest` (AttachmentDigestMismatchError if not), then decrypts
 * (AttachmentError 'DecryptFailed' if the key is wrong or the bytes were altered anyway).
 */
export async function decryptAttachment(ciphertext: Uint8Array, key: Uint8Array, digest: Uint8Array): Promise<Uint8Array> {
  if (key.length !== 32) throw new AttachmentError('InvalidKey', 'expected a 32-byte AES-256 key');
  if (digest.length !== 32) throw new AttachmentError('InvalidKey', 'expected a 32-byte SHA-256 digest');
  if (!equalBytes(await sha256(ciphertext), digest)) throw new AttachmentDigestMismatchError();
  if (ciphertext.length < IV_BYTES + TAG_BYTES) throw new AttachmentError('DecryptFailed', 'ciphertext too short');
  const k = await subtle().importKey('raw', buf(key), 'AES-GCM', false, ['decrypt']);
  try {
    const plain = await subtle().decrypt(
      { name: 'AES-GCM', iv: buf(ciphertext.slice(0, IV_BYTES)), tagLength: TAG_BYTES * 8 },
      k,
      buf(ciphertext.subarray(IV_BYTES)),
    );
    return new Uint8Array(plain);
  } catch (err) {
    throw new AttachmentError('DecryptFailed', 'attachment decryption failed (wrong key or altered ciphertext)', undefined, { cause: err });
  }
}

function endpoint(baseUrl: string, path: string): string {
  // accepts the server root or its /graphql URL
  const root = baseUrl.replace(/\/graphql\/?$/, '').replace(/\/+$/, '');
  return `${root}${path}`;
}

async function httpError(res: Response): Promise<AttachmentError> {
  let code = '';
  let message = `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? '';
    message = body.error?.message ?? message;
  } catch {
    // not JSON
  }
  const kind: AttachmentErrorCode =
    res.status === 413 || code === 'ATTACHMENT_TOO_LARGE'
      ? 'TooLarge'
      : res.status === 404
        ? 'NotFound'
        : res.status === 401
          ? 'Unauthenticated'
          : 'Http';
  return new AttachmentError(kind, message, res.status);
}

/** Upload progress: bytes of ciphertext sent so far, of `total`. */
export type UploadProgress = (sent: number, total: number) => void;

/**
 * Uploads ciphertext (POST /attachments) and checks that the server received exactly these bytes (its
 * SHA-256 must equal ours). `baseUrl` is the server root (or its /graphql URL). With `onProgress`, a browser
 * uploads through XMLHttpRequest, whose upload events report progress (fetch has none for request bodies
 * over HTTP/1.1); elsewhere progress is reported once, at the end.
 */
export async function uploadAttachment(
  baseUrl: string,
  token: string,
  ciphertext: Uint8Array,
  opts: { onProgress?: UploadProgress } = {},
): Promise<UploadedAttachment> {
  const url = endpoint(baseUrl, '/attachments');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' };
  let res: Response;
  try {
    res =
      opts.onProgress && typeof XMLHttpRequest === 'function'
        ? await postWithProgress(url, headers, buf(ciphertext), opts.onProgress)
        : await fetch(url, { method: 'POST', headers, body: buf(ciphertext) });
  } catch (err) {
    throw new AttachmentError('Http', `upload failed: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (res.status !== 201) throw await httpError(res);
  opts.onProgress?.(ciphertext.length, ciphertext.length);
  const body = (await res.json()) as { id: string; size: number; digest: string };
  const digest = Uint8Array.from(atob(body.digest), (c) => c.charCodeAt(0));
  if (!equalBytes(digest, await sha256(ciphertext))) throw new AttachmentDigestMismatchError();
  return { id: body.id, size: body.size, digest };
}

function postWithProgress(url: string, headers: Record<string, string>, body: Uint8Array<ArrayBuffer>, onProgress: UploadProgress): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.length);
    xhr.onload = () => resolve(new Response(xhr.responseText, { status: xhr.status, headers: { 'content-type': xhr.getResponseHeader('content-type') ?? '' } }));
    xhr.onerror = () => reject(new Error('network error'));
    xhr.onabort = () => reject(new Error('aborted'));
    xhr.send(body);
  });
}

/** Downloads an attachment's ciphertext (GET /attachments/:id). Decrypt it with decryptAttachment. */
export async function downloadAttachment(baseUrl: string, token: string, id: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(endpoint(baseUrl, `/attachments/${encodeURIComponent(id)}`), { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new AttachmentError('Http', `download failed: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (res.status !== 200) throw await httpError(res);
  return new Uint8Array(await res.arrayBuffer());
}
