/**
 * Encrypted attachment transfer over plain HTTP (not GraphQL: bodies are large binary streams).
 *
 *   POST /attachments        raw ciphertext body, Content-Length required (411 without, 413 over
 *                            MAX_ATTACHMENT_BYTES, decided before reading the body). Streams to the blob
 *                            store while computing SHA-256; 201 { id, size, digest } (digest: base64 of the
 *                            SHA-256 of the bytes received, for the client to compare with its own).
 *   GET  /attachments/:id    streams the ciphertext (Content-Length, application/octet-stream) to its
 *                            uploader or a participant of a conversation it was sent in; 404 for anyone else.
 *
 * Both need `Authorization: Bearer <access token>`. Errors are JSON `{ "error": { code, message, ... } }`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { AuthDevice } from '../kernel/auth.js';
import type { DomainError } from '../kernel/errors.js';
import type { Services } from '../services.js';
import { AttachmentTooLargeError, IncompleteUploadError } from './attachments.errors.js';
import { DigestMeter } from './attachments.service.js';

const BEARER = /^Bearer\s+(\S+)$/i;

function sendError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, unknown> = {}, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message, ...extra } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
}

function sendDomainError(res: ServerResponse, status: number, err: DomainError, close = false): void {
  sendError(res, status, err.code, err.message, err.fields(), close);
}

async function authenticate(services: Services, req: IncomingMessage): Promise<AuthDevice | null> {
  const m = BEARER.exec(req.headers.authorization ?? '');
  if (!m) return null;
  const auth = await services.accounts.authenticate(m[1]);
  if (!auth || auth.exp * 1000 <= Date.now()) return null;
  return auth;
}

/** Routes `/attachments` and `/attachments/:id`. */
export async function handleAttachmentRequest(services: Services, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const rest = path.slice('/attachments'.length);
  const auth = await authenticate(services, req);
  if (!auth) {
    sendError(res, 401, 'UNAUTHENTICATED', 'a valid "Authorization: Bearer <token>" header is required', {}, req.method === 'POST');
    return;
  }
  if (rest === '' || rest === '/') {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      sendError(res, 405, 'METHOD_NOT_ALLOWED', 'POST /attachments uploads; GET /attachments/:id downloads');
      return;
    }
    await upload(services, auth, req, res);
    return;
  }
  let id: string | null = null;
  try {
    id = rest.startsWith('/') ? decodeURIComponent(rest.slice(1)) : null;
  } catch {
    // malformed percent-encoding: no such attachment
  }
  if (!id || id.includes('/')) {
    sendError(res, 404, 'NOT_FOUND', 'not found');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendError(res, 405, 'METHOD_NOT_ALLOWED', 'GET /attachments/:id downloads');
    return;
  }
  await download(services, auth, id, req, res);
}

async function upload(services: Services, auth: AuthDevice, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { attachments, config, log } = services;
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) {
    sendError(res, 411, 'LENGTH_REQUIRED', 'Content-Length required (the ciphertext size in bytes)', {}, true);
    return;
  }
  const length = Number(raw);
  if (length > config.maxAttachmentBytes) {
    // refused before reading a byte; the connection closes so the body is never read
    sendDomainError(res, 413, new AttachmentTooLargeError(config.maxAttachmentBytes, length), true);
    return;
  }
  const meter = new DigestMeter(length);
  // req -> meter -> blob store; backpressure keeps memory flat. pipeline() destroys the meter (and so the
  // store's write, which then deletes its partial file) if the client goes away mid-upload.
  const feeding = pipeline(req, meter).then(
    () => null,
    (err: unknown) => err,
  );
  let stored: { id: string; size: number };
  try {
    stored = await attachments.store.put(meter, { contentLength: length });
  } catch (err) {
    await feeding;
    const e = meter.received !== length || err instanceof IncompleteUploadError ? new IncompleteUploadError(length, meter.received) : null;
    if (!e) log.error({ err }, 'attachment upload failed');
    if (e) sendDomainError(res, 400, e, true);
    else sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'upload failed', {}, true);
    return;
  }
  const feedErr = await feeding;
  if (feedErr || !meter.digest || stored.size !== length) {
    await attachments.store.delete(stored.id);
    sendDomainError(res, 400, new IncompleteUploadError(length, meter.received), true);
    return;
  }
  const row = await attachments.record(auth.userId, stored.id, stored.size, meter.digest);
  const body = JSON.stringify({ id: row.id, size: row.size, digest: meter.digest.toString('base64') });
  res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function download(services: Services, auth: AuthDevice, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const row = await services.attachments.readable(auth.userId, id);
  // not found and not allowed look the same: no existence oracle for attachment ids
  const blob = row ? await services.attachments.store.get(row.id) : null;
  if (!row || !blob) {
    sendError(res, 404, 'NOT_FOUND', `attachment ${id} not found`, { resource: 'Attachment', id });
    return;
  }
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': blob.size,
    'cache-control': 'private, no-store',
    'x-content-sha256': Buffer.from(row.digest).toString('base64'),
  });
  if (req.method === 'HEAD') {
    blob.body.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(blob.body, res);
  } catch (err) {
    // the client went away, or the store failed mid-stream (the response is then cut short)
    if (!res.writableFinished) services.log.debug({ err, attachmentId: id }, 'attachment download interrupted');
  }
}
