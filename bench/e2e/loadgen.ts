/**
 * The load generator of `npm run bench:e2e`: N simulated devices over real WebSockets, each paired with the
 * next (device i sends to device i+1 mod N). Every payload carries its send time and a message number
 * unique in the run, so the receiver measures send-to-delivery latency on the same clock and the fleet
 * knows exactly which confirmed messages arrived (lost), which arrived twice (duplicated), and which
 * acknowledgements the server confirmed. Receivers acknowledge in small batches, as a client would.
 */
import type { CpuMeter, CpuSample } from '../lib/cpu.js';
import { sleep } from '../lib/run.js';
import { type Latency, latency } from '../lib/stats.js';

export interface SimDevice {
  /** Resolves once the server confirmed it stored the message; rejects on a refusal or a broken socket. */
  send(to: number, payload: Uint8Array): Promise<void>;
  /** Resolves once the server confirmed the deletion of these envelopes. */
  ack(ids: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface Target {
  name: string;
  /** 'floor' targets are the bare baselines; ratios are taken against the first floor. */
  kind: 'ours' | 'floor';
  serverPid(): number;
  serverRss(): number;
  /**
   * Connects device `index` and resolves once its queue was delivered (everything pending when it
   * connected); `onEnvelope` is called for every delivered envelope.
   */
  connect(index: number, onEnvelope: (id: string, payload: Uint8Array) => void): Promise<SimDevice>;
  /** Envelopes still queued on the server. */
  pendingEnvelopes(): Promise<number>;
  /** Queues `count` envelopes for device `index` while it is offline. */
  seedBacklog(index: number, count: number): Promise<void>;
  /** Drops whatever is queued for device `index`. */
  clearQueue(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PhaseResult {
  /** Closed loop: messages kept in flight; open loop: null. */
  inFlight: number | null;
  /** Open loop: offered msg/s; closed loop: null. */
  offered: number | null;
  seconds: number;
  /** Sends the server confirmed during the phase. */
  sent: number;
  /** Envelopes delivered during the phase window, per second. */
  rate: number;
  latency: Latency;
  sendErrors: number;
  cpu: CpuSample;
}

export interface Integrity {
  confirmed: number;
  delivered: number;
  /** Confirmed sends whose message never reached its recipient. */
  lost: number;
  /** Deliveries of a message already delivered. */
  duplicated: number;
  sendErrors: number;
  ackErrors: number;
  /** Envelopes delivered but never confirmed acknowledged when the fleet settled. */
  unacknowledged: number;
}

export const PAYLOAD_BYTES = 200;
const ACK_BATCH = 50;
const ACK_FLUSH_MS = 5;
const SETTLE_TIMEOUT_MS = 20_000;

export class Fleet {
  devices: SimDevice[] = [];
  private nextId = 1;
  private readonly confirmed = new Set<number>();
  private readonly delivered = new Set<number>();
  private duplicated = 0;
  /** Confirmed and not (yet) delivered; a delivery may arrive before its send is confirmed. */
  private missing = 0;
  private sendErrors = 0;
  private ackErrors = 0;
  private envelopesDelivered = 0;
  private envelopesAcked = 0;
  private acksInFlight = 0;
  private readonly pendingAcks = new Map<number, string[]>();
  private ackTimer?: NodeJS.Timeout;
  /** Latencies are recorded for messages sent at or after this instant, while `recording`. */
  private phaseStart = Number.POSITIVE_INFINITY;
  private recording = false;
  private phaseLatencies: number[] = [];
  private windowEnd = 0;
  private deliveredInWindow = 0;

  constructor(private readonly target: Target) {}

  /**
   * Connects devices 0..n-1, `parallel` at a time. `checkpoint` runs once `checkpoint.after` devices are
   * connected (a memory reading with the first connections' one-time costs behind it).
   */
  async connect(n: number, checkpoint?: { after: number; run: () => Promise<void> }, parallel = 50): Promise<void> {
    this.devices = new Array(n);
    const range = async (from: number, to: number) => {
      for (let start = from; start < to; start += parallel) {
        await Promise.all(
          Array.from({ length: Math.min(parallel, to - start) }, async (_, k) => {
            const i = start + k;
            this.devices[i] = await this.target.connect(i, (id, p) => this.onEnvelope(i, id, p));
          }),
        );
      }
    };
    const first = checkpoint ? Math.min(checkpoint.after, n) : n;
    await range(0, first);
    await checkpoint?.run();
    await range(first, n);
    this.ackTimer = setInterval(() => this.flushAcks(), ACK_FLUSH_MS);
  }

  private payload(): { id: number; bytes: Uint8Array } {
    const id = this.nextId++;
    const p = new Uint8Array(PAYLOAD_BYTES);
    const v = new DataView(p.buffer);
    v.setFloat64(0, performance.now());
    v.setUint32(8, id);
    for (let i = 12; i < PAYLOAD_BYTES; i++) p[i] = (i * 31) & 0xff;
    return { id, bytes: p };
  }

  private onEnvelope(i: number, envelopeId: string, p: Uint8Array) {
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const sentAt = v.getFloat64(0);
    const id = v.getUint32(8);
    const now = performance.now();
    if (this.delivered.has(id)) this.duplicated++;
    else {
      this.delivered.add(id);
      if (this.confirmed.has(id)) this.missing--;
    }
    this.envelopesDelivered++;
    if (now <= this.windowEnd) this.deliveredInWindow++;
    if (this.recording && sentAt >= this.phaseStart) this.phaseLatencies.push(now - sentAt);
    let list = this.pendingAcks.get(i);
    if (!list) this.pendingAcks.set(i, (list = []));
    list.push(envelopeId);
    if (list.length >= ACK_BATCH) this.flushAck(i);
  }

  private flushAck(i: number) {
    const ids = this.pendingAcks.get(i);
    if (!ids?.length) return;
    this.pendingAcks.set(i, []);
    this.acksInFlight++;
    this.devices[i].ack(ids).then(
      () => {
        this.acksInFlight--;
        this.envelopesAcked += ids.length;
      },
      () => {
        this.acksInFlight--;
        this.ackErrors++;
      },
    );
  }

  private flushAcks() {
    for (const i of this.pendingAcks.keys()) this.flushAck(i);
  }

  private async sendOne(i: number): Promise<void> {
    const { id, bytes } = this.payload();
    try {
      await this.devices[i].send((i + 1) % this.devices.length, bytes);
      this.confirmed.add(id);
      if (!this.delivered.has(id)) this.missing++;
    } catch {
      this.sendErrors++;
    }
  }

  /** Closed loop: `inFlight` sends outstanding at all times, for `seconds`. */
  saturate(seconds: number, inFlight: number, cpu?: CpuMeter): Promise<PhaseResult> {
    const n = this.devices.length;
    return this.phase(seconds, { inFlight, offered: null }, cpu, (deadline) =>
      Promise.all(
        Array.from({ length: inFlight }, async (_, w) => {
          let i = w % n;
          while (performance.now() < deadline) {
            await this.sendOne(i);
            i = (i + inFlight) % n;
          }
        }),
      ),
    );
  }

  /** Open loop: `rate` sends per second spread over the devices, for `seconds`. */
  offered(seconds: number, rate: number, cpu?: CpuMeter): Promise<PhaseResult> {
    const n = this.devices.length;
    return this.phase(seconds, { inFlight: null, offered: rate }, cpu, async (deadline) => {
      const sends: Promise<void>[] = [];
      const start = performance.now();
      let k = 0;
      while (performance.now() < deadline) {
        const due = Math.floor(((performance.now() - start) / 1000) * rate);
        for (; k < due; k++) sends.push(this.sendOne(k % n));
        await sleep(1);
      }
      await Promise.all(sends);
    });
  }

  private async phase(
    seconds: number,
    shape: { inFlight: number | null; offered: number | null },
    cpu: CpuMeter | undefined,
    body: (deadline: number) => Promise<unknown>,
  ): Promise<PhaseResult> {
    await cpu?.start();
    const confirmed0 = this.confirmed.size;
    const errors0 = this.sendErrors;
    this.phaseLatencies = [];
    this.deliveredInWindow = 0;
    const t0 = performance.now();
    this.phaseStart = t0;
    this.windowEnd = t0 + seconds * 1000;
    this.recording = true;
    // CPU is read at the end of the window, while the loop is still running, like the delivery count
    const cpuSample = sleep(seconds * 1000).then(() => cpu?.stop());
    await body(this.windowEnd);
    const sample = await cpuSample;
    await this.waitDelivered();
    this.recording = false;
    return {
      ...shape,
      seconds,
      sent: this.confirmed.size - confirmed0,
      rate: this.deliveredInWindow / seconds,
      latency: latency(this.phaseLatencies),
      sendErrors: this.sendErrors - errors0,
      cpu: sample ?? { loadgen: Number.NaN, server: Number.NaN, postgres: Number.NaN },
    };
  }

  /** Waits (bounded) until every confirmed message has been delivered. */
  private async waitDelivered(): Promise<void> {
    const until = performance.now() + SETTLE_TIMEOUT_MS;
    while (this.missing > 0 && performance.now() < until) await sleep(5);
  }

  /** Waits for the last deliveries and acknowledgements, then counts what went wrong. */
  async settle(): Promise<Integrity> {
    await this.waitDelivered();
    this.flushAcks();
    const until = performance.now() + SETTLE_TIMEOUT_MS;
    while (this.acksInFlight > 0 && performance.now() < until) await sleep(5);
    return {
      confirmed: this.confirmed.size,
      delivered: this.delivered.size,
      lost: this.missing,
      duplicated: this.duplicated,
      sendErrors: this.sendErrors,
      ackErrors: this.ackErrors,
      unacknowledged: this.envelopesDelivered - this.envelopesAcked,
    };
  }

  async close(): Promise<void> {
    if (this.ackTimer) clearInterval(this.ackTimer);
    await Promise.all(this.devices.map((d) => d.close()));
  }
}
