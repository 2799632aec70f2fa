/**
 * The web client in real Chromium, as two newcomers use it: two users register in two browsers, find each
 * other by username, and talk both ways; delivered and read ticks, typing, a reaction, a reply, a message
 * deleted for everyone; an image and a voice message (recorded from Chromium's fake microphone) sent
 * encrypted and shown decrypted on the other side; the conversation list's unread badge and online dot
 * change live; search finds messages on the device; a link code is shown as a QR code that decodes to it;
 * a reload keeps everything (IndexedDB). Nothing in either page loads from another origin, and the page
 * runs under its Content-Security-Policy without a violation.
 */
import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import jsQRModule from 'jsqr';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uniqueName } from '../server/harness.js';
import { describeInChromium } from './chromium.js';
import { acceptRequest, bubble, sendText, startConversation, type User, WebRig } from './web-harness.js';

/** A real 2x2 PNG (red, green / blue, white), encoded here: signature, IHDR, one IDAT, IEND. */
const PNG = (() => {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
})();

describeInChromium('the web client in Chromium: messaging', () => {
  const rig = new WebRig();
  let alice: User;
  let bob: User;

  beforeAll(async () => {
    await rig.start();
    [alice, bob] = await Promise.all([rig.open(uniqueName('alice')), rig.open(uniqueName('bob'))]);
  });
  afterAll(() => rig.stop());

  it('serves the app at / under a CSP that keeps every request on the origin', async () => {
    const res = await alice.page.request.get(`${rig.origin}/`);
    const csp = res.headers()['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    await expect.poll(() => alice.page.getByRole('button', { name: 'Create account' }).isVisible()).toBe(true);
    await rig.screenshot(alice.page, 'welcome');
  });

  it('registers two users in two browsers; one finds the other by username and they talk both ways', async () => {
    await Promise.all([rig.register(alice, 'Alice Liddell'), rig.register(bob, 'Bob Builder')]);
    await startConversation(alice.page, bob.username);
    await sendText(alice.page, 'Hello Bob, only you can read this');
    // Bob's list shows the conversation, its decrypted preview and an unread badge, live
    const row = bob.page.locator('.conversation-row').first();
    await expect.poll(() => row.locator('.row-preview').textContent(), { timeout: 30_000 }).toBe('Hello Bob, only you can read this');
    await expect.poll(() => row.locator('.badge').textContent()).toBe('1');
    await expect.poll(() => row.locator('.lock').count()).toBe(1);
    await rig.screenshot(bob.page, 'conversation-list');

    await row.click();
    await bubble(bob.page, 'Hello Bob, only you can read this').waitFor();
    await expect.poll(() => bob.page.locator('.e2ee-banner').textContent()).toContain('end-to-end encrypted');
    // Alice is not yet Bob's contact: a message request, answered before Bob can reply
    const request = bob.page.getByRole('region', { name: 'Message request' });
    expect(await request.textContent()).toContain('Alice Liddell wants to message you');
    expect(await bob.page.getByLabel('Message', { exact: true }).count()).toBe(0);
    await rig.screenshot(bob.page, 'message-request');
    await acceptRequest(bob.page);
    await sendText(bob.page, 'Hi Alice!');
    await bubble(alice.page, 'Hi Alice!').waitFor({ timeout: 30_000 });
    expect(await bubble(alice.page, 'Hi Alice!').getAttribute('class')).toContain('in');
  });

  it('shows delivered and then read ticks on a sent message', async () => {
    // Bob is on the chat list, not in the conversation: the message is delivered, not read
    await bob.page.goto(`${rig.origin}/#/chats`);
    await sendText(alice.page, 'Are you there?');
    const ticks = bubble(alice.page, 'Are you there?').locator('.ticks');
    await expect.poll(() => ticks.getAttribute('data-status'), { timeout: 30_000 }).toBe('DELIVERED');
    await bob.page.locator('.conversation-row').first().click();
    await bubble(bob.page, 'Are you there?').waitFor();
    await expect.poll(() => ticks.getAttribute('data-status'), { timeout: 30_000 }).toBe('READ');
    expect(await ticks.getAttribute('aria-label')).toBe('Read');
  });

  it('shows the other side typing', async () => {
    await bob.page.getByLabel('Message', { exact: true }).pressSequentially('I am typ', { delay: 20 });
    const status = alice.page.locator('.chat-status');
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe('Bob Builder is typing…');
    await rig.screenshot(alice.page, 'chat-typing');
    await bob.page.getByLabel('Message', { exact: true }).fill('');
  });

  it('shows the same 60-digit safety number on both sides, and marks it verified', async () => {
    const numbers = await Promise.all(
      [alice.page, bob.page].map(async (page) => {
        await page.getByRole('button', { name: 'Conversation info' }).click();
        const code = page.locator('.safety-number').first();
        await expect.poll(() => code.textContent(), { timeout: 20_000 }).toMatch(/^(\d{5} ){11}\d{5}$/);
        return code.textContent();
      }),
    );
    expect(numbers[0]).toBe(numbers[1]);
    await alice.page.getByRole('button', { name: 'Mark as verified' }).click();
    await alice.page.locator('.safety-row .verified').waitFor({ timeout: 10_000 });
    await rig.screenshot(alice.page, 'safety-number');
    // verification is kept on the device: a reopened panel still says so
    await alice.page.getByRole('button', { name: 'Conversation info' }).click();
    await alice.page.getByRole('button', { name: 'Conversation info' }).click();
    await alice.page.locator('.safety-row .verified').waitFor({ timeout: 10_000 });
    for (const page of [alice.page, bob.page]) await page.getByRole('button', { name: 'Conversation info' }).click();
  });

  it('reacts to a message, and the reaction shows on both sides', async () => {
    const m = bubble(bob.page, 'Are you there?');
    await m.hover();
    await m.getByRole('button', { name: 'Message actions' }).click();
    await m.getByRole('menuitemcheckbox', { name: 'React with 👍' }).click();
    await expect.poll(() => bubble(alice.page, 'Are you there?').locator('.reactions [data-emoji="👍"]').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => m.locator('.reactions li.mine').count()).toBe(1);
  });

  it('replies to a message, quoting it', async () => {
    const m = bubble(bob.page, 'Hello Bob, only you can read this');
    await m.hover();
    await m.getByRole('button', { name: 'Message actions' }).click();
    await m.getByRole('menuitem', { name: 'Reply' }).click();
    await expect.poll(() => bob.page.locator('.reply-preview').textContent()).toContain('Hello Bob, only you can read this');
    await sendText(bob.page, 'Yes, I read it');
    const reply = bubble(alice.page, 'Yes, I read it');
    await reply.waitFor({ timeout: 30_000 });
    expect(await reply.locator('.quote-text').textContent()).toBe('Hello Bob, only you can read this');
  });

  it('deletes a message for everyone: it is gone from the other browser too', async () => {
    await sendText(alice.page, 'Oops, wrong chat');
    await bubble(bob.page, 'Oops, wrong chat').waitFor({ timeout: 30_000 });
    const m = bubble(alice.page, 'Oops, wrong chat');
    await m.hover();
    await m.getByRole('button', { name: 'Message actions' }).click();
    await m.getByRole('menuitem', { name: 'Delete for everyone' }).click();
    await expect.poll(() => bob.page.locator('.msg.deleted').count(), { timeout: 30_000 }).toBe(1);
    expect(await bob.page.locator('.msg.deleted').textContent()).toContain('This message was deleted');
    expect(await bubble(bob.page, 'Oops, wrong chat').count()).toBe(0);
    // and from Bob's device store: what he holds is an empty tombstone
    expect(await bob.page.locator('.messages').textContent()).not.toContain('Oops, wrong chat');
  });

  it('sends an image encrypted on the device, with upload progress; the other side shows it decrypted', async () => {
    await alice.page.locator('[data-testid="file-input"]').setInputFiles({ name: 'dots.png', mimeType: 'image/png', buffer: PNG });
    const img = bob.page.locator('img.attachment-image[alt="dots.png"]');
    await img.waitFor({ timeout: 30_000 });
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(2);
    expect(await img.getAttribute('src')).toMatch(/^blob:/);
    expect(await bob.page.locator('.conversation-row .row-preview').count()).toBeGreaterThan(0);
  });

  it('shows upload progress while a file is encrypted and sent; the other side downloads and decrypts it', async () => {
    // every value the progress bar takes, as the page shows it
    await alice.page.evaluate(() => {
      const seen: number[][] = [];
      Object.assign(window, { progressSeen: seen });
      new MutationObserver(() => {
        for (const p of document.querySelectorAll('.upload progress')) seen.push([Number((p as HTMLProgressElement).value), Number((p as HTMLProgressElement).max)]);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const file = Buffer.alloc(3 * 1024 * 1024, 7);
    await alice.page.locator('[data-testid="file-input"]').setInputFiles({ name: 'notes.bin', mimeType: 'application/octet-stream', buffer: file });
    const chip = bob.page.locator('a.file-chip[download="notes.bin"]');
    await chip.waitFor({ timeout: 30_000 });
    expect(await chip.textContent()).toContain('3.0 MB');
    const seen = (await alice.page.evaluate(() => (window as unknown as { progressSeen: number[][] }).progressSeen)) as number[][];
    // the bar followed the upload of the ciphertext (iv + file + tag), and moved
    expect(seen.some(([, max]) => max === file.length + 28)).toBe(true);
    expect(Math.max(...seen.map(([v]) => v))).toBeGreaterThan(0);
    // saving it gives the very bytes Alice picked
    const [download] = await Promise.all([bob.page.waitForEvent('download'), chip.click()]);
    const saved = readFileSync((await download.path())!);
    expect(saved.equals(file)).toBe(true);
  });

  it('records a voice message from the microphone and sends it; the other side plays it with its duration', async () => {
    await alice.page.getByRole('button', { name: 'Record a voice message' }).click();
    await alice.page.locator('.rec-time').waitFor();
    await expect.poll(() => alice.page.locator('.rec-time').textContent(), { timeout: 10_000 }).toBe('0:01');
    await alice.page.getByRole('button', { name: 'Stop and send voice message' }).click();
    const voice = bob.page.locator('.msg.in .voice').last();
    await voice.waitFor({ timeout: 30_000 });
    expect(await voice.locator('.voice-duration').textContent()).toMatch(/^0:0[1-3]$/);
    const audio = voice.locator('audio');
    expect(await audio.getAttribute('src')).toMatch(/^blob:/);
    // the decrypted bytes are real audio the browser can decode
    await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.readyState), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await rig.screenshot(bob.page, 'chat');
  });

  it('changes the unread badge and the online dot live in the conversation list', async () => {
    await bob.page.goto(`${rig.origin}/#/chats`);
    const row = bob.page.locator('.conversation-row').first();
    await expect.poll(() => row.locator('.online-dot').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => row.locator('.badge').count()).toBe(0);
    await sendText(alice.page, 'One more thing');
    await expect.poll(() => row.locator('.badge').textContent(), { timeout: 30_000 }).toBe('1');
    await sendText(alice.page, 'And another');
    await expect.poll(() => row.locator('.badge').textContent(), { timeout: 30_000 }).toBe('2');
    // Alice goes offline (her tab closes): the dot goes out
    const aliceUrl = alice.page.url();
    await alice.page.close();
    await expect.poll(() => row.locator('.online-dot').count(), { timeout: 30_000 }).toBe(0);
    alice.page = await alice.context.newPage();
    alice.page.on('pageerror', (e) => alice.problems.push(`page error: ${e.message}`));
    await alice.page.goto(aliceUrl);
    await expect.poll(() => row.locator('.online-dot').count(), { timeout: 30_000 }).toBe(1);
    await row.click();
    await expect.poll(() => bob.page.locator('.conversation-row .badge').count(), { timeout: 20_000 }).toBe(0);
  });

  it('searches conversations, people and messages, the messages on the device only', async () => {
    await bob.page.goto(`${rig.origin}/#/search`);
    await bob.page.getByLabel('Search conversations, people and messages').fill('read this');
    await expect.poll(() => bob.page.locator('.message-hit').count(), { timeout: 10_000 }).toBe(1);
    expect(await bob.page.locator('.message-hit mark').textContent()).toBe('read this');
    expect(await bob.page.locator('#search-note').textContent()).toContain('cannot search');
    await bob.page.getByLabel('Search conversations, people and messages').fill('alice');
    await expect.poll(() => bob.page.locator('.search-results .person-row').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await rig.screenshot(bob.page, 'search');
  });

  it('lists people with presence, and the new-message screen finds users by username', async () => {
    await bob.page.goto(`${rig.origin}/#/people`);
    const person = bob.page.locator(`[data-user="${alice.username}"]`);
    await expect.poll(() => person.locator('.presence').textContent(), { timeout: 20_000 }).toBe('online');
    await rig.screenshot(bob.page, 'people');
    await bob.page.goto(`${rig.origin}/#/new`);
    await bob.page.getByLabel('Find a user by username').fill(alice.username);
    await bob.page.locator(`[data-username="${alice.username}"]`).waitFor();
    await rig.screenshot(bob.page, 'new-message');
  });

  it('shows the devices and a link code as a QR code that decodes to it', async () => {
    await bob.page.goto(`${rig.origin}/#/devices`);
    await expect.poll(() => bob.page.locator('.device-row').count(), { timeout: 20_000 }).toBe(1);
    expect(await bob.page.locator('.device-row .tag').textContent()).toBe('This browser');
    await bob.page.getByRole('button', { name: 'Show a link code' }).click();
    const code = await bob.page.locator('[data-link-code]').getAttribute('data-link-code');
    const png = await bob.page.getByRole('img', { name: 'Link code as a QR code' }).screenshot();
    const decoded = await decodeQr(bob.page, png);
    expect(decoded).toBe(code);
    await rig.screenshot(bob.page, 'devices');
  });

  it('keeps everything across a reload (IndexedDB): the same device, its history and its media', async () => {
    const conversation = await bob.page.evaluate(() => location.hash);
    await bob.page.goto(`${rig.origin}/#/chats`);
    await bob.page.reload();
    await bob.page.locator('.shell[data-ready="true"]').waitFor({ timeout: 30_000 });
    await bob.page.locator('.conversation-row').first().click();
    await bubble(bob.page, 'Hello Bob, only you can read this').waitFor({ timeout: 20_000 });
    await bubble(bob.page, 'And another').waitFor();
    await bob.page.locator('img.attachment-image').waitFor();
    expect(await bob.page.locator('.msg.deleted').count()).toBe(1);
    expect(conversation).toMatch(/^#\//);
    // still decrypts and sends after the reload
    await sendText(bob.page, 'Back after a reload');
    await bubble(alice.page, 'Back after a reload').waitFor({ timeout: 30_000 });
  });

  it('fits a phone’s width: one pane at a time, the tabs at the bottom', async () => {
    await bob.page.setViewportSize({ width: 390, height: 844 });
    await bob.page.goto(`${rig.origin}/#/chats`);
    await expect.poll(() => bob.page.locator('.detail-pane').isVisible()).toBe(false);
    await rig.screenshot(bob.page, 'phone-list');
    await bob.page.locator('.conversation-row').first().click();
    await expect.poll(() => bob.page.locator('.list-pane').isVisible()).toBe(false);
    expect(await bob.page.locator('.chat').isVisible()).toBe(true);
    // image, file and voice message, downloaded and decrypted again for this screen
    await expect.poll(() => bob.page.locator('[data-decrypted="true"]').count(), { timeout: 20_000 }).toBe(3);
    const overflow = await bob.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await rig.screenshot(bob.page, 'phone-chat');
    await bob.page.getByRole('link', { name: 'Back to chats' }).click();
    await bob.page.locator('.conversation-row').first().waitFor();
  });

  it('loaded nothing from another origin and broke no Content-Security-Policy rule', () => {
    rig.expectClean();
  });
});

/** jsqr is CommonJS with a `default` export: under Node's ESM the default import is that module object or the function. */
const jsQR = ((jsQRModule as unknown as { default?: typeof jsQRModule }).default ?? jsQRModule) as unknown as (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;

/** Decodes a QR code from a PNG screenshot (jsQR over the pixels, read back through a canvas in the page). */
async function decodeQr(page: import('playwright-core').Page, png: Buffer): Promise<string | null> {
  const { width, height, data } = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = new OffscreenCanvas(img.width, img.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, img.width, img.height);
    return { width: d.width, height: d.height, data: Array.from(d.data) };
  }, png.toString('base64'));
  return jsQR(Uint8ClampedArray.from(data), width, height)?.data ?? null;
}
