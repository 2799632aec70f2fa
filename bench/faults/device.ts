/**
 * A device of `npm run bench:faults` that behaves as a client must on a network that fails: one socket at a
 * time, reconnected with back-off whenever it breaks (a cut, a killed server), the inbox resumed on every
 * connection; each message sent with a fixed clientMessageId and retried until the server confirms it
 * (the server's idempotency makes retries safe); every delivered envelope recorded before it is
 * acknowledged, acknowledgements retried until confirmed. The ledger it writes to is where loss and
 * duplication are counted.
 */
import { sleep } from '../lib/run.js';
import { type InboxEnvelope, MutationRefused, openRelaySocket, type RelaySocket } from '../lib/relay-socket.js';

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename ... on Error { code message } } }`;
const ACK = `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename ... on AcknowledgeResult { acknowledged } ... on Error { code message } } }`;

export const PAYLOAD_BYTES = 160;
const ACK_BATCH = 50;
const ACK_FLUSH_MS = 20;
const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 1000;

/** What every device records: the basis of the lost / duplicated counts. */
export class Ledger {
  /** Sends the server confirmed, `${sender}:${k}`. */
  readonly confirmed = new Set<string>();
  /** First envelope id each message arrived with. */
  readonly firstEnvelope = new Map<string, string>();
  /** Envelope ids the server confirmed deleting (listed in `acknowledged`). */
  readonly ackConfirmed = new Set<string>();
  /** A message that arrived in a second, different envelope: the server stored it twice. */
  duplicatedMessages = 0;
  /** An envelope delivered again after the server confirmed its acknowledgement. */
  redeliveredAfterAck = 0;
  /** An envelope delivered again before its acknowledgement was confirmed (at-least-once: expected). */
  redeliveries = 0;
  sendAttempts = 0;
  sendRefusals = new Map<string, number>();
  connects = 0;
  connectFailures = 0;
}

export function encodePayload(sender: number, k: number): Uint8Array {
  const p = new Uint8Array(PAYLOAD_BYTES);
  const v = new DataView(p.buffer);
  v.setUint32(0, sender);
  v.setUint32(4, k);
  for (let i = 8; i < PAYLOAD_BYTES; i++) p[i] = (sender + k + i) & 0xff;
  return p;
}

function decodePayload(p: Uint8Array): string {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return `${v.getUint32(0)}:${v.getUint32(4)}`;
}

export interface DeviceSetup {
  index: number;
  port: () => number;
  token: string;
  /** Device.id of the recipient and the conversation with it. */
  recipientDevice: string;
  conversationId: string;
  ledger: Ledger;
}

export class FaultyDevice {
  private socket?: RelaySocket;
  private connecting?: Promise<RelaySocket>;
  private pendingAcks: string[] = [];
  private ackTimer?: NodeJS.Timeout;
  private acking = false;
  private stopped = false;
  /** Envelope ids received: one delivered this connection does not count as a redelivery of itself. */
  private readonly seenEnvelopes = new Set<string>();

  constructor(private readonly s: DeviceSetup) {}

  start(): void {
    this.ackTimer = setInterval(() => void this.flushAcks(), ACK_FLUSH_MS);
    void this.connected();
  }

  /** The current socket, (re)connecting with back-off until one is ready. */
  private connected(): Promise<RelaySocket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= (async () => {
      let delay = BACKOFF_MIN_MS;
      for (;;) {
        if (this.stopped) throw new Error('stopped');
        const socket = openRelaySocket({ port: this.s.port(), token: this.s.token, onEnvelope: (e) => this.onEnvelope(e) });
        try {
          await socket.ready;
          this.s.ledger.connects++;
          this.socket = socket;
          this.connecting = undefined;
          socket.closed.catch(() => {
            if (this.socket === socket) this.socket = undefined;
          });
          return socket;
        } catch {
          this.s.ledger.connectFailures++;
          void socket.dispose();
          await sleep(delay * (0.5 + Math.random()));
          delay = Math.min(BACKOFF_MAX_MS, delay * 2);
        }
      }
    })();
    return this.connecting;
  }

  /** Cuts the current socket, if any (the network fails under it). */
  cut(): boolean {
    if (!this.socket) return false;
    this.socket.cut();
    return true;
  }

  private onEnvelope(e: InboxEnvelope) {
    const l = this.s.ledger;
    const key = decodePayload(e.ciphertext);
    if (l.ackConfirmed.has(e.id)) l.redeliveredAfterAck++;
    const first = l.firstEnvelope.get(key);
    if (first === undefined) l.firstEnvelope.set(key, e.id);
    else if (first !== e.id) l.duplicatedMessages++;
    if (this.seenEnvelopes.has(e.id)) l.redeliveries++;
    this.seenEnvelopes.add(e.id);
    // recorded above ("stored by the app"), so it may be acknowledged
    this.pendingAcks.push(e.id);
    if (this.pendingAcks.length >= ACK_BATCH) void this.flushAcks();
  }

  private async flushAcks(): Promise<void> {
    if (this.acking || !this.pendingAcks.length || !this.socket) return;
    this.acking = true;
    const ids = this.pendingAcks.splice(0, this.pendingAcks.length);
    try {
      const r = await this.socket.mutate<{ __typename: string; acknowledged: string[] }>(ACK, { ids }, 'AcknowledgeResult');
      for (const id of r.acknowledged) this.s.ledger.ackConfirmed.add(id);
    } catch {
      // not confirmed: acknowledge again (an envelope already deleted is simply not listed)
      this.pendingAcks.unshift(...ids);
    } finally {
      this.acking = false;
    }
  }

  /** Sends message `k` until the server confirms it. */
  async send(k: number): Promise<void> {
    const l = this.s.ledger;
    let delay = BACKOFF_MIN_MS;
    const ciphertext = Buffer.from(encodePayload(this.s.index, k)).toString('base64');
    for (;;) {
      const socket = await this.connected();
      l.sendAttempts++;
      try {
        await socket.mutate(
          SEND,
          {
            input: {
              conversationId: this.s.conversationId,
              clientMessageId: `faults-${this.s.index}-${k}`,
              contentType: 'TEXT',
              envelopes: [{ deviceId: this.s.recipientDevice, type: 2, ciphertext }],
            },
          },
          'Message',
        );
        l.confirmed.add(`${this.s.index}:${k}`);
        return;
      } catch (err) {
        if (err instanceof MutationRefused) {
          const code = refusalCode(err.result);
          l.sendRefusals.set(code, (l.sendRefusals.get(code) ?? 0) + 1);
        }
        await sleep(delay * (0.5 + Math.random()));
        delay = Math.min(BACKOFF_MAX_MS, delay * 2);
      }
    }
  }

  /** Envelope acknowledgements not yet confirmed. */
  get unconfirmedAcks(): number {
    return this.pendingAcks.length + (this.acking ? 1 : 0);
  }

  /** Makes sure a socket is open (after the faults stop, so the queue drains). */
  async reconnect(): Promise<void> {
    await this.connected();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ackTimer) clearInterval(this.ackTimer);
    await this.socket?.dispose();
  }
}

function refusalCode(result: unknown): string {
  if (Array.isArray(result)) return String((result[0] as { extensions?: { code?: string } })?.extensions?.code ?? 'GRAPHQL_ERROR');
  const r = result as { __typename?: string; code?: string } | undefined;
  return r?.code ?? r?.__typename ?? 'UNKNOWN';
}
