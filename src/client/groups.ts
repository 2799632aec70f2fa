/**
 * Groups use Sender Keys (src/protocol/group-cipher.ts): this device has one sender key chain per group
 * (a distribution id), hands its SenderKeyDistributionMessage to each member device over the pairwise
 * Double Ratchet sessions when that device does not have it yet, and then encrypts each message ONCE
 * (a SenderKeyMessage), sent with the multi-recipient `sendGroupMessage`: the server stores the one
 * ciphertext and queues it for every device. The distribution message rides in the header of the
 * recipient's envelope of that same send, so a device always gets the key with the first message it needs
 * it for, all or nothing.
 *
 * Who needs the key: every recipient device not recorded in the group's `distributedTo` (a new member, a
 * new device of a member, a device that re-registered: its registration id changed).
 * Rotation: when a device that was given the current key is no longer among the recipients (a member
 * left or was removed, or removed a device), this device starts a new chain under a new distribution id
 * and gives it to the remaining devices only; whoever left holds only the old chain and cannot read what
 * follows, even with the ciphertext in hand. Removing a member through this SDK rotates at once.
 *
 * Receiving: the header (when present) is decrypted pairwise, its distribution message stored in the
 * sender key store and bound to the conversation it arrived in; the SenderKeyMessage is decrypted with the
 * sender's chain, which must have been received in this same conversation. Sender key writes are held
 * back until the message is stored, like session writes (Sessions.decrypt).
 */
import {
  createSenderKeyDistributionMessage,
  groupDecrypt,
  groupEncrypt,
  ProtocolAddress,
  processSenderKeyDistributionMessage,
  ProtocolError,
  SENDER_KEY_MESSAGE_TYPE,
  SenderKeyDistributionMessage,
  SenderKeyMessage,
  type SenderKeyRecord,
  type SenderKeyStore,
} from '../protocol/index.js';
import { fromBase64, toBase64 } from './base64.js';
import type { ClientContext } from './context.js';
import type { TargetDevice } from './directory.js';
import { DecryptionError, type PeerAddress } from './errors.js';
import { Serial } from './serial.js';
import type { Sessions } from './sessions.js';
import type { GroupSendState } from './stores/types.js';

export { SENDER_KEY_MESSAGE_TYPE };

export interface GroupRecipient {
  deviceId: string;
  registrationId: number;
  header: { type: number; ciphertext: string } | null;
}

export interface GroupCiphertext {
  type: number;
  ciphertext: string;
  recipients: GroupRecipient[];
  /** Records who was given the key; call once the server stored the send. */
  commit(): Promise<void>;
  /** Whether this encryption started a new chain (a device that had the old one is gone). */
  rotated: boolean;
  distributionId: string;
}

export class GroupSessions {
  /** Serializes changes of the group send states (a send's commit, a resend's forgetDevice, a rotation). */
  private readonly state = new Serial();

  constructor(
    private readonly ctx: ClientContext,
    private readonly sessions: Sessions,
  ) {}

  private get self(): ProtocolAddress {
    return new ProtocolAddress(this.ctx.credentials.userId, this.ctx.credentials.deviceId);
  }

  /** The devices of `targets` that need this device's current sender key for the group (to set up sessions with). */
  async needingKey(conversationId: string, targets: TargetDevice[]): Promise<TargetDevice[]> {
    const state = this.current(await this.ctx.store.getGroupSendState(conversationId), targets);
    return targets.filter((t) => state?.distributedTo[t.uuid] !== t.registrationId);
  }

  /** The stored state unless a device that had the key is no longer a recipient (then: rotate). */
  private current(state: GroupSendState | null, targets: TargetDevice[]): GroupSendState | null {
    if (!state) return null;
    const now = new Set(targets.map((t) => t.uuid));
    return Object.keys(state.distributedTo).every((uuid) => now.has(uuid)) ? state : null;
  }

  /**
   * Encrypts `plaintext` once for the group and builds each device's header (the distribution message,
   * pairwise-encrypted, for the devices that need it: their sessions must exist, see Sessions.ensure).
   */
  async encrypt(conversationId: string, targets: TargetDevice[], plaintext: Uint8Array): Promise<GroupCiphertext> {
    const { store, opts } = this.ctx;
    const stored = await store.getGroupSendState(conversationId);
    const kept = this.current(stored, targets);
    const state: GroupSendState = kept ?? { distributionId: crypto.randomUUID(), distributedTo: {} };
    const rotated = stored !== null && kept === null;
    const skdm = await createSenderKeyDistributionMessage(this.self, state.distributionId, store, { rng: opts.rng });
    const needing = targets.filter((t) => state.distributedTo[t.uuid] !== t.registrationId);
    const headers = new Map((await this.sessions.encryptFor(needing, skdm.serialize())).map((e) => [e.deviceId, e]));
    const message = await groupEncrypt(this.self, state.distributionId, plaintext, store, { rng: opts.rng });
    const distributedTo = { ...state.distributedTo };
    for (const t of needing) distributedTo[t.uuid] = t.registrationId;
    return {
      type: message.type,
      ciphertext: toBase64(message.body),
      recipients: targets.map((t) => {
        const h = headers.get(t.uuid);
        return { deviceId: t.uuid, registrationId: t.registrationId, header: h ? { type: h.type, ciphertext: h.ciphertext } : null };
      }),
      commit: () =>
        this.state.run(async () => {
          // merged into the state as it is now: a resend request answered meanwhile (forgetDevice) stays answered,
          // and a rotation meanwhile (rotate) is not undone
          const now = await store.getGroupSendState(conversationId);
          const same = now?.distributionId === state.distributionId;
          // neither ours nor the state this send started from: changed meanwhile (rotated), so left alone
          if (!same && (now?.distributionId ?? null) !== (stored?.distributionId ?? null)) return;
          const merged = { ...(same ? now!.distributedTo : distributedTo) };
          for (const t of needing) merged[t.uuid] = t.registrationId;
          await store.setGroupSendState(conversationId, { distributionId: state.distributionId, distributedTo: merged });
        }),
      rotated,
      distributionId: state.distributionId,
    };
  }

  /** The next message to the group gives `deviceUuid` this device's current sender key again (it asked for a resend). */
  forgetDevice(conversationId: string, deviceUuid: string): Promise<void> {
    return this.state.run(async () => {
      const state = await this.ctx.store.getGroupSendState(conversationId);
      if (!state || !(deviceUuid in state.distributedTo)) return;
      const { [deviceUuid]: _gone, ...rest } = state.distributedTo;
      await this.ctx.store.setGroupSendState(conversationId, { ...state, distributedTo: rest });
    });
  }

  /** Forgets this device's sender key state for the group: the next message starts a new chain. */
  rotate(conversationId: string): Promise<void> {
    return this.state.run(() => this.ctx.store.setGroupSendState(conversationId, null));
  }

  /**
   * Decrypts a type-7 envelope under the session lock with session and sender key writes deferred:
   * `handle` gets the plaintext and calls `commit` once what it derived is stored.
   */
  decrypt(
    sender: PeerAddress,
    envelope: { id: string; conversationId: string; ciphertext: string; headerType?: number | null; header?: string | null },
    handle: (plaintext: Uint8Array, commit: () => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const address = new ProtocolAddress(sender.userId, sender.deviceId);
    const { store } = this.ctx;
    return this.sessions.withDeferred(async (decryptPairwise, commitSessions) => {
      const keys = new DeferredSenderKeys(store);
      if (envelope.header) {
        if (envelope.headerType == null) throw new DecryptionError(sender, envelope.id, 'a header without its type');
        const skdmBytes = await decryptPairwise(address, envelope.headerType, fromBase64(envelope.header), envelope.id);
        const skdm = SenderKeyDistributionMessage.deserialize(skdmBytes);
        await processSenderKeyDistributionMessage(address, skdm, keys);
        keys.bind(skdm.distributionId, envelope.conversationId);
      }
      const body = fromBase64(envelope.ciphertext);
      const { distributionId } = SenderKeyMessage.deserialize(body);
      const bound = keys.binding(distributionId) ?? (await store.getSenderKeyConversation(address, distributionId));
      // never received in this conversation: as missing (a resend can mend it); received in another: refused
      if (bound == null) throw new ProtocolError('NoSenderKeyState', `no sender key ${distributionId} from ${address.toString()} in this conversation`);
      if (bound !== envelope.conversationId) throw new DecryptionError(sender, envelope.id, 'a sender key of another conversation');
      const plaintext = await groupDecrypt(body, address, keys);
      await handle(plaintext, async () => {
        await keys.commit(address);
        await commitSessions();
      });
    });
  }
}

/** Sender key writes held in memory until commit (a refused or unstored message leaves the store as it was). */
class DeferredSenderKeys implements SenderKeyStore {
  private readonly pending = new Map<string, { sender: ProtocolAddress; distributionId: string; record: SenderKeyRecord }>();
  private readonly bindings = new Map<string, string>();

  constructor(private readonly store: SenderKeyStore & Pick<import('./stores/types.js').ClientStore, 'setSenderKeyConversation'>) {}

  private key(sender: ProtocolAddress, distributionId: string) {
    return `${sender.name}\u0000${sender.deviceId}\u0000${distributionId.toLowerCase()}`;
  }
  async loadSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    return this.pending.get(this.key(sender, distributionId))?.record ?? this.store.loadSenderKey(sender, distributionId);
  }
  async storeSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    this.pending.set(this.key(sender, distributionId), { sender, distributionId, record });
  }
  bind(distributionId: string, conversationId: string): void {
    this.bindings.set(distributionId.toLowerCase(), conversationId);
  }
  binding(distributionId: string): string | undefined {
    return this.bindings.get(distributionId.toLowerCase());
  }
  async commit(sender: ProtocolAddress): Promise<void> {
    for (const p of this.pending.values()) await this.store.storeSenderKey(p.sender, p.distributionId, p.record);
    for (const [d, c] of this.bindings) await this.store.setSenderKeyConversation(sender, d, c);
    this.pending.clear();
    this.bindings.clear();
  }
}
