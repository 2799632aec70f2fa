/**
 * One call at a time, in WebRTC: ringing out or in, answering, the media between the two browsers, and
 * hanging up. Call control is the SDK's (client.calls: start, accept, decline, end, cancel); the offer, the
 * answer and the ICE candidates travel as the SDK's end-to-end encrypted call signals, only to the device
 * that answered (for the caller) or that called (for the callee). The caller sends its offer once the callee
 * accepted (the ACCEPTED event names the answering device). No STUN or TURN server: the page's CSP and the
 * product keep every request on the server's origin, so peers connect over host candidates (one network).
 */
import type { Call, CallEvent, CallMedia, IceCandidate, IncomingCallSignal, MessagingClient } from '@sealed-relay/client';
import { Observable } from './observable.js';
import { describeError } from './session.js';

export type CallPhase = 'idle' | 'outgoing' | 'incoming' | 'connecting' | 'connected' | 'ended';

/** Trickled candidates are sent in small batches (one signal per batch). */
const ICE_BATCH_MS = 60;
/** How long the "call ended" state stays on screen. */
const ENDED_SHOWN_MS = 1500;

export class CallController extends Observable {
  phase: CallPhase = 'idle';
  call: Call | null = null;
  media: CallMedia = 'AUDIO';
  /** The peer connection's own state ('new' … 'connected'), as the browser reports it. */
  connectionState: RTCPeerConnectionState | 'none' = 'none';
  localStream: MediaStream | null = null;
  remoteStream: MediaStream | null = null;
  endedReason = '';
  connectedAt: number | null = null;
  muted = false;
  private pc: RTCPeerConnection | null = null;
  private peerDevice: string | null = null;
  private pendingCandidates: IceCandidate[] = [];
  private outgoingCandidates: IceCandidate[] = [];
  private iceTimer: ReturnType<typeof setTimeout> | null = null;
  private remoteDescribed = false;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly client: MessagingClient,
    private readonly onError: (text: string) => void,
    private readonly onHistoryChange: () => void,
  ) {
    super();
    this.offs.push(
      client.events.on('call', (e) => this.onCallEvent(e)),
      client.events.on('callSignal', (s) => this.onSignal(s)),
    );
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
    this.cleanup();
  }

  /** Rings the other participants; the microphone (and camera) is asked for first. */
  async startCall(conversationId: string, media: CallMedia): Promise<void> {
    if (this.phase !== 'idle') return;
    this.media = media;
    try {
      this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: media === 'VIDEO' });
      this.phase = 'outgoing';
      this.changed();
      this.call = await this.client.calls.start(conversationId, media);
      this.changed();
    } catch (e) {
      this.fail(e);
    }
  }

  async accept(): Promise<void> {
    const call = this.call;
    if (this.phase !== 'incoming' || !call) return;
    try {
      this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: call.media === 'VIDEO' });
      this.phase = 'connecting';
      this.peerDevice = call.callerDeviceId;
      this.createPeer();
      this.changed();
      this.call = await this.client.calls.accept(call.id);
      this.changed();
    } catch (e) {
      this.fail(e);
    }
  }

  async decline(): Promise<void> {
    const call = this.call;
    if (this.phase !== 'incoming' || !call) return;
    this.finish('Declined');
    await this.client.calls.decline(call.id).catch((e) => this.onError(describeError(e)));
  }

  /** Hangs up: cancels a call still ringing out, or ends one in progress. */
  async hangUp(): Promise<void> {
    const call = this.call;
    if (!call || this.phase === 'idle' || this.phase === 'ended') return;
    if (this.phase === 'incoming') return this.decline();
    const wasRinging = this.phase === 'outgoing';
    if (this.peerDevice) await this.client.calls.signal(call, { kind: 'hangup' }, [this.peerDevice]).catch(() => {});
    this.finish('Call ended');
    await (wasRinging ? this.client.calls.cancel(call.id) : this.client.calls.end(call.id)).catch(() => {});
  }

  toggleMute(): void {
    this.muted = !this.muted;
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = !this.muted;
    this.changed();
  }

  private onCallEvent(e: CallEvent): void {
    const mine = this.call?.id === e.callId;
    if (e.kind === 'RINGING' && e.call.direction === 'INCOMING' && this.phase === 'idle') {
      this.call = e.call;
      this.media = e.call.media;
      this.phase = 'incoming';
      this.changed();
      return;
    }
    if (!mine) return;
    this.call = e.call;
    const me = this.client.credentials;
    if (e.kind === 'ACCEPTED') {
      if (this.phase === 'outgoing') {
        const answered = e.call.participants.find((p) => p.userId !== me.userId && p.state === 'JOINED' && p.deviceId);
        if (answered?.deviceId) void this.offer(answered.deviceId);
      } else if (this.phase === 'incoming' && e.actorUserId === me.userId) {
        // answered on another of my devices
        this.finish('Answered on another device');
      }
    } else if (['DECLINED', 'CANCELLED', 'MISSED', 'ENDED'].includes(e.kind)) {
      this.finish(e.kind === 'DECLINED' ? 'Declined' : e.kind === 'MISSED' ? 'No answer' : e.kind === 'CANCELLED' ? 'Missed call' : 'Call ended');
    } else if (e.kind === 'LEFT' && e.call.status !== 'ONGOING') {
      this.finish('Call ended');
    }
    this.changed();
  }

  private async offer(device: string): Promise<void> {
    this.peerDevice = device;
    this.phase = 'connecting';
    this.createPeer();
    this.changed();
    try {
      const offer = await this.pc!.createOffer();
      await this.pc!.setLocalDescription(offer);
      await this.client.calls.signal(this.call!, { kind: 'offer', sdp: offer.sdp! }, [device]);
    } catch (e) {
      this.fail(e);
    }
  }

  private async onSignal(s: IncomingCallSignal): Promise<void> {
    if (s.callId !== this.call?.id || !this.pc) return;
    if (this.peerDevice && s.from.deviceUuid !== this.peerDevice) return;
    const pc = this.pc;
    try {
      const p = s.payload;
      if (p.kind === 'offer') {
        await pc.setRemoteDescription({ type: 'offer', sdp: p.sdp });
        await this.remoteReady();
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        await this.client.calls.signal(this.call, { kind: 'answer', sdp: answer.sdp! }, [s.from.deviceUuid]);
      } else if (p.kind === 'answer') {
        await pc.setRemoteDescription({ type: 'answer', sdp: p.sdp });
        await this.remoteReady();
      } else if (p.kind === 'ice') {
        if (this.remoteDescribed) for (const c of p.candidates) await pc.addIceCandidate(c);
        else this.pendingCandidates.push(...p.candidates);
      } else if (p.kind === 'hangup') {
        this.finish('Call ended');
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private async remoteReady(): Promise<void> {
    this.remoteDescribed = true;
    for (const c of this.pendingCandidates.splice(0)) await this.pc!.addIceCandidate(c);
  }

  private createPeer(): void {
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    for (const t of this.localStream?.getTracks() ?? []) pc.addTrack(t, this.localStream!);
    pc.ontrack = (e) => {
      this.remoteStream = e.streams[0] ?? new MediaStream([e.track]);
      this.changed();
    };
    pc.onicecandidate = (e) => {
      if (!e.candidate) return;
      this.outgoingCandidates.push(e.candidate.toJSON() as IceCandidate);
      this.iceTimer ??= setTimeout(() => this.flushCandidates(), ICE_BATCH_MS);
    };
    pc.onconnectionstatechange = () => {
      this.connectionState = pc.connectionState;
      if (pc.connectionState === 'connected' && this.phase === 'connecting') {
        this.phase = 'connected';
        this.connectedAt = Date.now();
      }
      if (pc.connectionState === 'failed') this.onError('The call could not connect (no network path between the two devices).');
      this.changed();
    };
    this.connectionState = pc.connectionState;
  }

  private flushCandidates(): void {
    this.iceTimer = null;
    const batch = this.outgoingCandidates.splice(0);
    if (!batch.length || !this.call || !this.peerDevice) return;
    void this.client.calls.signal(this.call, { kind: 'ice', candidates: batch }, [this.peerDevice]).catch((e) => this.onError(describeError(e)));
  }

  private fail(e: unknown): void {
    this.onError(e instanceof DOMException && e.name === 'NotAllowedError' ? 'Microphone or camera access was refused.' : describeError(e));
    const call = this.call;
    const phase = this.phase;
    this.finish('Call failed');
    if (call && (phase === 'outgoing' || phase === 'connecting')) void this.client.calls.end(call.id).catch(() => {});
  }

  private finish(reason: string): void {
    if (this.phase === 'idle' || this.phase === 'ended') return;
    this.cleanup();
    this.phase = 'ended';
    this.endedReason = reason;
    this.changed();
    this.onHistoryChange();
    setTimeout(() => {
      if (this.phase !== 'ended') return;
      this.phase = 'idle';
      this.call = null;
      this.changed();
    }, ENDED_SHOWN_MS);
  }

  private cleanup(): void {
    if (this.iceTimer) clearTimeout(this.iceTimer);
    this.iceTimer = null;
    this.pc?.close();
    this.pc = null;
    for (const t of this.localStream?.getTracks() ?? []) t.stop();
    this.localStream = null;
    this.remoteStream = null;
    this.peerDevice = null;
    this.pendingCandidates = [];
    this.outgoingCandidates = [];
    this.remoteDescribed = false;
    this.connectionState = 'none';
    this.connectedAt = null;
    this.muted = false;
  }
}
