/**
 * Calls in the web client, in real Chromium with fake camera and microphone: an audio call rings on the
 * other browser, is answered, connects (the RTCPeerConnection of both pages reaches `connected`, with the
 * offer, answer and ICE candidates carried as the SDK's end-to-end encrypted call signals), carries audio,
 * and is hung up; it then shows in both call histories. A call nobody answers becomes a missed call on the
 * callee's calls tab. A video call shows the other side's video. Nothing loads from another origin.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uniqueName } from '../server/harness.js';
import { describeInChromium } from './chromium.js';
import { acceptRequest, bubble, sendText, startConversation, type User, WebRig } from './web-harness.js';

describeInChromium('the web client in Chromium: calls', () => {
  const rig = new WebRig();
  let alice: User;
  let bob: User;
  const callScreen = (u: User) => u.page.locator('.call-screen');

  beforeAll(async () => {
    // a short ring timeout so the missed call comes quickly
    await rig.start({ callRingTimeoutSeconds: 3, callSweepIntervalMs: 500 });
    [alice, bob] = await Promise.all([rig.open(uniqueName('alice')), rig.open(uniqueName('bob'))]);
    await Promise.all([rig.register(alice, 'Alice Caller'), rig.register(bob, 'Bob Callee')]);
    await startConversation(alice.page, bob.username);
    await sendText(alice.page, 'Can I call you?');
    await bob.page.locator('.conversation-row').first().click();
    await bubble(bob.page, 'Can I call you?').waitFor({ timeout: 30_000 });
    await acceptRequest(bob.page);
    await sendText(bob.page, 'Sure');
    await bubble(alice.page, 'Sure').waitFor({ timeout: 30_000 });
  });
  afterAll(() => rig.stop());

  it('rings, is answered, connects both peer connections, and hangs up', async () => {
    await alice.page.getByRole('button', { name: 'Audio call' }).click();
    await expect.poll(() => callScreen(alice).getAttribute('data-phase'), { timeout: 20_000 }).toBe('outgoing');
    await expect.poll(() => callScreen(bob).getAttribute('data-phase'), { timeout: 20_000 }).toBe('incoming');
    expect(await bob.page.locator('.call-status').textContent()).toBe('Incoming audio call');
    await rig.screenshot(bob.page, 'call-incoming');

    await bob.page.getByRole('button', { name: 'Accept call' }).click();
    for (const u of [alice, bob]) {
      await expect.poll(() => callScreen(u).getAttribute('data-connection-state'), { timeout: 30_000 }).toBe('connected');
      await expect.poll(() => callScreen(u).getAttribute('data-phase')).toBe('connected');
    }
    // media flows: the remote audio element plays a live track from the other browser
    await expect
      .poll(
        () =>
          bob.page.locator('audio[aria-label="Their audio"]').evaluate((el: HTMLAudioElement) => {
            const s = el.srcObject as MediaStream | null;
            return s?.getAudioTracks().some((t) => t.readyState === 'live') ?? false;
          }),
        { timeout: 20_000 },
      )
      .toBe(true);
    await rig.screenshot(alice.page, 'call-connected');

    await alice.page.getByRole('button', { name: 'Hang up' }).click();
    for (const u of [alice, bob]) await expect.poll(() => callScreen(u).count(), { timeout: 20_000 }).toBe(0);
  });

  it('shows the call in both call histories', async () => {
    for (const [u, kind] of [
      [alice, 'OUTGOING'],
      [bob, 'INCOMING'],
    ] as const) {
      await u.page.goto(`${rig.origin}/#/calls`);
      const row = u.page.locator('.call-row').first();
      await expect.poll(() => row.getAttribute('data-direction'), { timeout: 20_000 }).toBe(kind);
      expect(await row.getAttribute('data-missed')).toBe('false');
      await expect.poll(() => row.locator('.call-kind').textContent()).toMatch(/(Outgoing|Incoming) audio call · 0:\d\d/);
    }
    await rig.screenshot(bob.page, 'calls');
  });

  it('turns a call nobody answers into a missed call on the callee’s calls tab', async () => {
    await alice.page.goto(`${rig.origin}/#/chats`);
    await alice.page.locator('.conversation-row').first().click();
    await alice.page.getByRole('button', { name: 'Audio call' }).click();
    await expect.poll(() => callScreen(bob).getAttribute('data-phase'), { timeout: 20_000 }).toBe('incoming');
    // nobody answers: after the ring timeout both screens close
    for (const u of [alice, bob]) await expect.poll(() => callScreen(u).count(), { timeout: 30_000 }).toBe(0);
    const missed = bob.page.locator('.call-row').first();
    await expect.poll(() => missed.getAttribute('data-missed'), { timeout: 20_000 }).toBe('true');
    expect(await missed.locator('.call-kind').textContent()).toContain('Missed audio call');
  });

  it('connects a video call and shows the other side’s video', async () => {
    await alice.page.getByRole('button', { name: 'Video call' }).click();
    await expect.poll(() => callScreen(bob).getAttribute('data-phase'), { timeout: 20_000 }).toBe('incoming');
    await bob.page.getByRole('button', { name: 'Accept call' }).click();
    const remote = alice.page.locator('video[aria-label="Their video"]');
    await expect.poll(() => remote.evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect.poll(() => callScreen(bob).getAttribute('data-connection-state')).toBe('connected');
    await rig.screenshot(alice.page, 'call-video');
    await bob.page.getByRole('button', { name: 'Hang up' }).click();
    for (const u of [alice, bob]) await expect.poll(() => callScreen(u).count(), { timeout: 20_000 }).toBe(0);
  });

  it('loaded nothing from another origin and broke no Content-Security-Policy rule', () => {
    rig.expectClean();
  });
});
