// The ML-KEM Braid state machine (signal.org/docs/specifications/mlkembraid, "State Machine and
// Transitions"). One side sends an ML-KEM-768 encapsulation key (header, then vector) while the
// other answers with the ciphertext (ct1 as soon as the header is in, ct2 once the vector is in and
// ct1 is acknowledged); every value travels as erasure-coded 32-byte chunks, one per message. When
// an epoch's secret is known to both, the roles swap for the next epoch. States are plain data
// (the session record persists them); transitions return new states and never mutate.
import { concatBytes, type Rng, utf8 } from './bytes.js';
import { ProtocolError } from './errors.js';
import { hkdfSha256 } from './kdf.js';
import * as mlkem from './mlkem-incremental.js';
import { type Authenticator, MAC_SIZE, PROTOCOL_INFO, epochBytes, macCiphertext, macHeader, updateAuthenticator, verifyCiphertext, verifyHeader } from './spqr-authenticator.js';
import { ChunkDecoder, ChunkEncoder, MAX_CHUNK_INDEX } from './spqr-erasure.js';
import { type Chunk, MessageType, type SpqrMessage } from './spqr-message.js';

const INFO_SCKA_KEY = utf8(`${PROTOCOL_INFO}:SCKA Key`);
const HEADER_WITH_MAC = mlkem.HEADER_SIZE + MAC_SIZE;
const CT2_WITH_MAC = mlkem.CT2_SIZE + MAC_SIZE;

/** A value being sent chunk by chunk: the value and the next chunk index. */
export interface Sending {
  value: Uint8Array;
  next: number;
}

/** A value being received: its length and the chunks so far. */
export interface Receiving {
  length: number;
  chunks: Map<number, Uint8Array>;
}

export type BraidState =
  // sending the encapsulation key
  | { kind: 'KeysUnsampled'; epoch: number; auth: Authenticator }
  | { kind: 'KeysSampled'; epoch: number; auth: Authenticator; dk: Uint8Array; sendingHdr: Sending }
  | { kind: 'HeaderSent'; epoch: number; auth: Authenticator; dk: Uint8Array; sendingEk: Sending; receivingCt1: Receiving }
  | { kind: 'Ct1Received'; epoch: number; auth: Authenticator; dk: Uint8Array; ct1: Uint8Array; sendingEk: Sending }
  | { kind: 'EkSentCt1Received'; epoch: number; auth: Authenticator; dk: Uint8Array; ct1: Uint8Array; receivingCt2: Receiving }
  // answering with the ciphertext
  | { kind: 'NoHeaderReceived'; epoch: number; auth: Authenticator; receivingHdr: Receiving }
  | { kind: 'HeaderReceived'; epoch: number; auth: Authenticator; hdr: Uint8Array; receivingEk: Receiving }
  | { kind: 'Ct1Sampled'; epoch: number; auth: Authenticator; hdr: Uint8Array; encapsSecret: Uint8Array; ct1: Uint8Array; sendingCt1: Sending; receivingEk: Receiving }
  | { kind: 'EkReceivedCt1Sampled'; epoch: number; auth: Authenticator; hdr: Uint8Array; ekVector: Uint8Array; encapsSecret: Uint8Array; ct1: Uint8Array; sendingCt1: Sending }
  | { kind: 'Ct1Acknowledged'; epoch: number; auth: Authenticator; hdr: Uint8Array; encapsSecret: Uint8Array; ct1: Uint8Array; receivingEk: Receiving }
  | { kind: 'Ct2Sampled'; epoch: number; auth: Authenticator; sendingCt2: Sending };

export interface EpochSecret {
  epoch: number;
  secret: Uint8Array;
}

/** The initiator (Alice) starts sending an encapsulation key for epoch 1; the recipient waits for it. */
export function initialBraid(spqrKey: Uint8Array, isA: boolean): BraidState {
  const auth = updateAuthenticator(undefined, 1, spqrKey);
  return isA ? { kind: 'KeysUnsampled', epoch: 1, auth } : { kind: 'NoHeaderReceived', epoch: 1, auth, receivingHdr: receiving(HEADER_WITH_MAC) };
}

function receiving(length: number): Receiving {
  return { length, chunks: new Map() };
}

function nextChunk(s: Sending): { chunk: Chunk; sending: Sending } {
  const index = s.next;
  return { chunk: { index, data: new ChunkEncoder(s.value).chunk(index) }, sending: { value: s.value, next: index >= MAX_CHUNK_INDEX ? 0 : index + 1 } };
}

/** Adds a chunk; returns the new receiving state and the value once complete. */
function addChunk(r: Receiving, chunk: Chunk): { receiving: Receiving; value?: Uint8Array } {
  const dec = new ChunkDecoder(r.length);
  for (const [i, d] of r.chunks) dec.add(i, d);
  dec.add(chunk.index, chunk.data);
  return { receiving: { length: r.length, chunks: dec.received }, value: dec.value() };
}

/** KDF_OK: the epoch's output key from the KEM shared secret. */
function epochSecret(sharedSecret: Uint8Array, epoch: number): Uint8Array {
  return hkdfSha256(sharedSecret, new Uint8Array(32), concatBytes(INFO_SCKA_KEY, epochBytes(epoch)), 32);
}

function ct2Sending(hdr: Uint8Array, ekVector: Uint8Array, encapsSecret: Uint8Array, ct1: Uint8Array, auth: Authenticator, epoch: number): Sending {
  const ct2 = mlkem.encaps2(hdr, ekVector, encapsSecret);
  return { value: concatBytes(ct2, macCiphertext(auth, epoch, concatBytes(ct1, ct2))), next: 0 };
}

/** Send(state): the message to attach, and an epoch secret when this step produces one. */
export function braidSend(s: BraidState, rng: Rng): { state: BraidState; msg: Omit<SpqrMessage, 'index'>; secret?: EpochSecret } {
  const { epoch, auth } = s;
  switch (s.kind) {
    case 'KeysUnsampled': {
      const kp = mlkem.generateKeyPair(rng);
      const { chunk, sending } = nextChunk({ value: concatBytes(kp.header, macHeader(auth, epoch, kp.header)), next: 0 });
      return { state: { kind: 'KeysSampled', epoch, auth, dk: kp.dk, sendingHdr: sending }, msg: { epoch, type: MessageType.Hdr, chunk } };
    }
    case 'KeysSampled': {
      const { chunk, sending } = nextChunk(s.sendingHdr);
      return { state: { ...s, sendingHdr: sending }, msg: { epoch, type: MessageType.Hdr, chunk } };
    }
    case 'HeaderSent': {
      const { chunk, sending } = nextChunk(s.sendingEk);
      return { state: { ...s, sendingEk: sending }, msg: { epoch, type: MessageType.Ek, chunk } };
    }
    case 'Ct1Received': {
      const { chunk, sending } = nextChunk(s.sendingEk);
      return { state: { ...s, sendingEk: sending }, msg: { epoch, type: MessageType.EkCt1Ack, chunk } };
    }
    case 'EkSentCt1Received':
      return { state: s, msg: { epoch, type: MessageType.Ct1Ack } };
    case 'NoHeaderReceived':
      return { state: s, msg: { epoch, type: MessageType.None } };
    case 'HeaderReceived': {
      const e = mlkem.encaps1(s.hdr, rng);
      const secret = epochSecret(e.sharedSecret, epoch);
      e.sharedSecret.fill(0);
      const { chunk, sending } = nextChunk({ value: e.ct1, next: 0 });
      return {
        state: { kind: 'Ct1Sampled', epoch, auth: updateAuthenticator(auth, epoch, secret), hdr: s.hdr, encapsSecret: e.encapsSecret, ct1: e.ct1, sendingCt1: sending, receivingEk: s.receivingEk },
        msg: { epoch, type: MessageType.Ct1, chunk },
        secret: { epoch, secret },
      };
    }
    case 'Ct1Sampled':
    case 'EkReceivedCt1Sampled': {
      const { chunk, sending } = nextChunk(s.sendingCt1);
      return { state: { ...s, sendingCt1: sending }, msg: { epoch, type: MessageType.Ct1, chunk } };
    }
    case 'Ct1Acknowledged':
      return { state: s, msg: { epoch, type: MessageType.None } };
    case 'Ct2Sampled': {
      const { chunk, sending } = nextChunk(s.sendingCt2);
      return { state: { ...s, sendingCt2: sending }, msg: { epoch, type: MessageType.Ct2, chunk } };
    }
  }
}

function authFailure(what: string): never {
  throw new ProtocolError('InvalidMessage', `SPQR ${what} failed authentication`);
}

/** Receive(state, msg): the new state, and an epoch secret when this message completes one. */
export function braidRecv(s: BraidState, m: SpqrMessage): { state: BraidState; secret?: EpochSecret } {
  const { epoch, auth } = s;
  const t = m.type;
  const ekChunk = t === MessageType.Ek || t === MessageType.EkCt1Ack;
  const acked = t === MessageType.EkCt1Ack || t === MessageType.Ct1Ack;
  if (s.kind === 'Ct2Sampled') {
    // the peer has the secret and moved on: our turn to send a key
    if (m.epoch === epoch + 1) return { state: { kind: 'KeysUnsampled', epoch: epoch + 1, auth } };
    return { state: s };
  }
  // messages of other epochs are late (or early) for this state and carry nothing for it
  if (m.epoch !== epoch) return { state: s };
  switch (s.kind) {
    case 'KeysSampled': {
      if (t !== MessageType.Ct1) return { state: s };
      const r = addChunk(receiving(mlkem.CT1_SIZE), m.chunk!);
      const sendingEk: Sending = { value: mlkem.ekVectorOf(s.dk), next: 0 };
      if (r.value) return { state: { kind: 'Ct1Received', epoch, auth, dk: s.dk, ct1: r.value, sendingEk } };
      return { state: { kind: 'HeaderSent', epoch, auth, dk: s.dk, sendingEk, receivingCt1: r.receiving } };
    }
    case 'HeaderSent': {
      if (t !== MessageType.Ct1) return { state: s };
      const r = addChunk(s.receivingCt1, m.chunk!);
      if (r.value) return { state: { kind: 'Ct1Received', epoch, auth, dk: s.dk, ct1: r.value, sendingEk: s.sendingEk } };
      return { state: { ...s, receivingCt1: r.receiving } };
    }
    case 'Ct1Received':
    case 'EkSentCt1Received': {
      if (t !== MessageType.Ct2) return { state: s };
      const r = addChunk(s.kind === 'Ct1Received' ? receiving(CT2_WITH_MAC) : s.receivingCt2, m.chunk!);
      if (!r.value) return { state: { kind: 'EkSentCt1Received', epoch, auth, dk: s.dk, ct1: s.ct1, receivingCt2: r.receiving } };
      const ct2 = r.value.subarray(0, mlkem.CT2_SIZE);
      const ss = mlkem.decapsulate(s.dk, s.ct1, ct2);
      const secret = epochSecret(ss, epoch);
      ss.fill(0);
      const next = updateAuthenticator(auth, epoch, secret);
      if (!verifyCiphertext(next, epoch, concatBytes(s.ct1, ct2), r.value.subarray(mlkem.CT2_SIZE))) authFailure('ciphertext');
      return { state: { kind: 'NoHeaderReceived', epoch: epoch + 1, auth: next, receivingHdr: receiving(HEADER_WITH_MAC) }, secret: { epoch, secret } };
    }
    case 'NoHeaderReceived': {
      if (t !== MessageType.Hdr) return { state: s };
      const r = addChunk(s.receivingHdr, m.chunk!);
      if (!r.value) return { state: { ...s, receivingHdr: r.receiving } };
      const hdr = r.value.subarray(0, mlkem.HEADER_SIZE);
      if (!verifyHeader(auth, epoch, hdr, r.value.subarray(mlkem.HEADER_SIZE))) authFailure('header');
      return { state: { kind: 'HeaderReceived', epoch, auth, hdr: hdr.slice(), receivingEk: receiving(mlkem.EK_VECTOR_SIZE) } };
    }
    case 'Ct1Sampled': {
      if (!ekChunk) return { state: s };
      const r = addChunk(s.receivingEk, m.chunk!);
      if (r.value) {
        if (acked) return { state: { kind: 'Ct2Sampled', epoch, auth, sendingCt2: ct2Sending(s.hdr, r.value, s.encapsSecret, s.ct1, auth, epoch) } };
        return { state: { kind: 'EkReceivedCt1Sampled', epoch, auth, hdr: s.hdr, ekVector: r.value, encapsSecret: s.encapsSecret, ct1: s.ct1, sendingCt1: s.sendingCt1 } };
      }
      if (acked) return { state: { kind: 'Ct1Acknowledged', epoch, auth, hdr: s.hdr, encapsSecret: s.encapsSecret, ct1: s.ct1, receivingEk: r.receiving } };
      return { state: { ...s, receivingEk: r.receiving } };
    }
    case 'EkReceivedCt1Sampled':
      if (!acked) return { state: s };
      return { state: { kind: 'Ct2Sampled', epoch, auth, sendingCt2: ct2Sending(s.hdr, s.ekVector, s.encapsSecret, s.ct1, auth, epoch) } };
    case 'Ct1Acknowledged': {
      if (!ekChunk) return { state: s };
      const r = addChunk(s.receivingEk, m.chunk!);
      if (!r.value) return { state: { ...s, receivingEk: r.receiving } };
      return { state: { kind: 'Ct2Sampled', epoch, auth, sendingCt2: ct2Sending(s.hdr, r.value, s.encapsSecret, s.ct1, auth, epoch) } };
    }
    default:
      return { state: s };
  }
}
