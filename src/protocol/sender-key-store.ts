// Storage of sender key records (libsignal's SenderKeyStore: one record per sender device and distribution
// id), async so any backend fits, and an in-memory implementation for tests and simple clients.
import { ProtocolAddress } from './address.js';
import { assertInstance } from './bytes.js';
import { SenderKeyRecord } from './sender-key-record.js';
import { normalizeUuid } from './uuid.js';

export interface SenderKeyStore {
  loadSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null>;
  storeSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void>;
}

/** Records kept as objects: the group cipher never mutates a loaded record (it stores a new one). */
export class InMemorySenderKeyStore implements SenderKeyStore {
  private readonly records = new Map<string, SenderKeyRecord>();

  async loadSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    return this.records.get(key(sender, distributionId)) ?? null;
  }

  async storeSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    assertInstance(record, SenderKeyRecord, 'record');
    this.records.set(key(sender, distributionId), record);
  }

  async removeSenderKey(sender: ProtocolAddress, distributionId: string): Promise<void> {
    this.records.delete(key(sender, distributionId));
  }
}

function key(sender: ProtocolAddress, distributionId: string): string {
  assertInstance(sender, ProtocolAddress, 'sender');
  return `${sender.name}\u0000${sender.deviceId}\u0000${normalizeUuid(distributionId, 'distributionId')}`;
}
