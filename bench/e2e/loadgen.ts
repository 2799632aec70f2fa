/**
 * The load generator of `npm run bench:e2e`: N simulated devices over real WebSockets, each paired with the
 * next (device i sends to device i+1 mod N). Every payload carries its send time, so the receiver measures
 * send-to-delivery latency on the same clock. Receivers acknowledge in small batches, as a client would.
 */
export interface SimDevice {
  send(to: number, payload: Uint8Array): Promise<void>;
  ack(ids: string[]): void;
  close(): Promise<void>;
}

export interface Target {
  name: string;
  /** Connects device `index`; `onEnvelope` is called for every delivered envelope. */
  connect(index: number, onEnvelope: (id: string, payload: Uint8Array) => void): Promise<SimDevice>;
  /** Resident set size of the server process, bytes. */
  serverRss(): number;
  /** Envelopes still queued on the server. */
  pendingEnvelopes(): Promise<number>;
  /** Queues `count` envelopes for device `index` while it is offline (where the target supports it). */
  seedBacklog?(index: number, count: number): Promise<void>;
  /** Drops whatever is queued for device `index`. */
  clearQueue?(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PhaseResult {
  sent: number;
  delivered: number;
  seconds: number;
  rate: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

const PAYLOAD_BYTES = 200;

function payload(): Uint8Array {
  const p = new Uint8Array(PAYLOAD_BYTES);
  new DataView(p.buffer).setFloat64(0, performance.now());
  for (let i = 8; i < PAYLOAD_BYTES; i++) p[i] = (i * 31) & 0xff;
  return p;
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export class Fleet {
  devices: SimDevice[] = [];
  latencies: number[] = [];
  delivered = 0;
  seen = new Set<string>();
  duplicates = 0;
  private pendingAcks = new Map<number, string[]>();
  private ackTimer?: NodeJS.Timeout;

  constructor(private readonly target: Target) {}

  async connect(n: number, parallel = 50): Promise<void> {
    this.devices = new Array(n);
    for (let start = 0; start < n; start += parallel) {
      await Promise.all(
        Array.from({ length: Math.min(parallel, n - start) }, async (_, k) => {
          const i = start + k;
          this.devices[i] = await this.target.connect(i, (id, p) => this.onEnvelope(i, id, p));
        }),
      );
    }
    this.ackTimer = setInterval(() => this.flushAcks(), 5);
  }

  private onEnvelope(i: number, id: string, p: Uint8Array) {
    const key = `${i}:${id}`;
    if (this.seen.has(key)) this.duplicates++;
    this.seen.add(key);
    this.delivered++;
    this.latencies.push(performance.now() - new DataView(p.buffer, p.byteOffset).getFloat64(0));
    let list = this.pendingAcks.get(i);
    if (!list) this.pendingAcks.set(i, (list = []));
    list.push(id);
    if (list.length >= 50) this.flushAck(i);
  }

  private flushAck(i: number) {
    const ids = this.pendingAcks.get(i);
    if (!ids?.length) return;
    this.pendingAcks.set(i, []);
    this.devices[i].ack(ids);
  }

  private flushAcks() {
    for (const i of this.pendingAcks.keys()) this.flushAck(i);
  }

  /** Closed loop: `inFlight` sends outstanding at all times, for `seconds`. */
  async saturate(seconds: number, inFlight: number): Promise<PhaseResult> {
    return this.run(seconds, async (deadline, count) => {
      let errors = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async (_, w) => {
          let i = w % this.devices.length;
          while (performance.now() < deadline) {
            try {
              await this.devices[i].send((i + 1) % this.devices.length, payload());
              count();
            } catch {
              errors++;
            }
            i = (i + inFlight) % this.devices.length;
          }
        }),
      );
      return errors;
    });
  }

  /** Open loop: `rate` sends per second spread over the devices, for `seconds`. */
  async offered(seconds: number, rate: number): Promise<PhaseResult> {
    return this.run(seconds, async (deadline, count) => {
      let errors = 0;
      const inflight: Promise<void>[] = [];
      const start = performance.now();
      let k = 0;
      while (performance.now() < deadline) {
        const due = Math.floor(((performance.now() - start) / 1000) * rate);
        while (k < due) {
          const i = k % this.devices.length;
          inflight.push(
            this.devices[i].send((i + 1) % this.devices.length, payload()).then(count, () => {
              errors++;
            }),
          );
          k++;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(inflight);
      return errors;
    });
  }

  private async run(seconds: number, body: (deadline: number, count: () => void) => Promise<number>): Promise<PhaseResult> {
    this.latencies = [];
    const before = this.delivered;
    let sent = 0;
    const t0 = performance.now();
    const errors = await body(t0 + seconds * 1000, () => {
      sent++;
    });
    // wait for the tail to be delivered (bounded)
    const waitUntil = performance.now() + 10_000;
    while (this.delivered - before < sent && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 5));
    const elapsed = (performance.now() - t0) / 1000;
    const delivered = this.delivered - before;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      sent,
      delivered,
      seconds: elapsed,
      rate: delivered / Math.max(seconds, elapsed - 0),
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      p99: percentile(sorted, 0.99),
      errors,
    };
  }

  async close(): Promise<void> {
    if (this.ackTimer) clearInterval(this.ackTimer);
    this.flushAcks();
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all(this.devices.map((d) => d.close()));
  }
}
