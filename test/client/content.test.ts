import { describe, expect, it } from 'vitest';
import { CONTENT_VERSION, ContentError, createContent, decodeContent, encodeContent, PAD_BLOCK, pad, unpad } from '../../src/client/content.js';

const enc = (o: unknown) => pad(new TextEncoder().encode(JSON.stringify(o)));

describe('message content codec', () => {
  it('round-trips body, attachments, replyTo and sentAt', () => {
    const c = createContent('héllo 👋', {
      replyTo: 'm-1',
      sentAt: 1_700_000_000_000,
      attachments: [{ url: 'https://blobs/x', contentType: 'image/png', size: 12, key: 'a2V5', digest: 'ZGln', fileName: 'x.png' }],
    });
    expect(c.v).toBe(CONTENT_VERSION);
    expect(decodeContent(encodeContent(c))).toEqual(c);
  });

  it('pads every plaintext to a multiple of the block size, hiding the exact length', () => {
    for (const body of ['', 'a', 'x'.repeat(100), 'x'.repeat(200)]) {
      const bytes = encodeContent(createContent(body, { sentAt: 1 }));
      expect(bytes.length % PAD_BLOCK).toBe(0);
    }
    expect(encodeContent(createContent('a', { sentAt: 1 })).length).toBe(encodeContent(createContent('ab', { sentAt: 1 })).length);
  });

  it('keeps fields of a newer version it does not know, and re-encodes them', () => {
    const c = decodeContent(enc({ v: 2, body: 'hi', attachments: [], replyTo: null, sentAt: 5, sticker: { id: 7 } }));
    expect(c.v).toBe(2);
    expect(c.unknown).toEqual({ sticker: { id: 7 } });
    expect(decodeContent(encodeContent(c))).toEqual(c);
  });

  it('accepts a missing attachments list and replyTo', () => {
    expect(decodeContent(enc({ v: 1, body: 'x', sentAt: 1 }))).toEqual({ v: 1, body: 'x', attachments: [], replyTo: null, sentAt: 1 });
  });

  it.each([
    ['not JSON', pad(new TextEncoder().encode('{nope'))],
    ['not UTF-8', pad(Uint8Array.of(0xff, 0xfe))],
    ['an array', enc([1, 2])],
    ['no version', enc({ body: 'x', sentAt: 1 })],
    ['version 0', enc({ v: 0, body: 'x', sentAt: 1 })],
    ['a non-string body', enc({ v: 1, body: 3, sentAt: 1 })],
    ['a malformed attachment', enc({ v: 1, body: 'x', sentAt: 1, attachments: [{ url: 1 }] })],
    ['a non-string replyTo', enc({ v: 1, body: 'x', sentAt: 1, replyTo: 5 })],
    ['no sentAt', enc({ v: 1, body: 'x' })],
    ['no padding marker', new Uint8Array(160)],
  ])('rejects %s with ContentError', (_name, bytes) => {
    expect(() => decodeContent(bytes)).toThrow(ContentError);
  });

  it('unpad inverts pad for any length', () => {
    for (let n = 0; n < 400; n += 37) {
      const data = crypto.getRandomValues(new Uint8Array(n));
      expect(unpad(pad(data))).toEqual(data);
    }
  });
});
