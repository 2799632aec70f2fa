/**
 * Media through the SDK: an image, a voice message and a file are encrypted on the sending device,
 * uploaded as ciphertext, announced inside the end-to-end encrypted message, then downloaded, checked
 * against their digest and decrypted by each receiving device. A stranger cannot fetch them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachmentError, type MessagingClient } from '../../src/client/index.js';
import { startServer, type TestServer } from '../server/harness.js';
import { registerClient, waitForMessages } from '../client/helpers.js';

let server: TestServer;
let work: string;
const clients: MessagingClient[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sr-e2e-media-'));
  server = await startServer({ blobDir: join(work, 'blobs'), attachmentSweepIntervalMs: 0 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('attachments through the SDK', () => {
  it('sends an image, a voice message and a file; the recipient downloads and decrypts each; a stranger cannot', async () => {
    const [alice, bob, eve] = await Promise.all([registerClient({ url: server.url }), registerClient({ url: server.url }), registerClient({ url: server.url })]);
    clients.push(alice, bob, eve);
    await Promise.all(clients.map((c) => c.start()));
    const conv = (await alice.createDirectConversation(bob.userId)).id;
    const files = [
      { bytes: randomBytes(300_000), contentType: 'IMAGE' as const, mimeType: 'image/jpeg', fileName: 'beach.jpg', caption: 'look' },
      { bytes: randomBytes(40_000), contentType: 'AUDIO' as const, mimeType: 'audio/ogg; codecs=opus', fileName: undefined, caption: '' },
      { bytes: randomBytes(1_000), contentType: 'FILE' as const, mimeType: 'application/pdf', fileName: 'plan.pdf', caption: 'the plan' },
    ];
    for (const f of files) await alice.sendAttachment(conv, new Uint8Array(f.bytes), f);

    const got = await waitForMessages(bob, conv, 3);
    expect(got.map((m) => m.content.body)).toEqual(files.map((f) => f.caption));
    for (const [i, m] of got.entries()) {
      const [pointer] = m.content.attachments;
      expect(pointer).toMatchObject({ contentType: files[i].mimeType, size: files[i].bytes.length });
      expect(pointer.fileName).toBe(files[i].fileName);
      expect(Buffer.from(await bob.downloadAttachment(pointer))).toEqual(files[i].bytes);
      // the pointer alone does not open the blob for someone outside the conversation
      const err = await eve.downloadAttachment(pointer).catch((e) => e);
      expect(err).toBeInstanceOf(AttachmentError);
      expect(err.code).toBe('NotFound');
    }
    // the server's message metadata says what kind of media it is, nothing more
    const meta = await alice.messageMeta(got[1].id);
    expect(meta).toMatchObject({ contentType: 'AUDIO' });
  });
});
