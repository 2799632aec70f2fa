/**
 * Who to encrypt for: the current devices of every participant of a conversation (and the user's own other
 * devices), learned from the conversation's participant list and refreshed when the server refuses a send
 * as mismatched or stale, or when the user's device list changes.
 */
import { ConversationDocument, DevicesDocument } from './generated/graphql.js';
import type { ClientContext, Conversation } from './context.js';
import { domainError } from './transport.js';

export interface TargetDevice {
  userId: string;
  /** Device.id */
  uuid: string;
  deviceId: number;
  registrationId: number;
  identityKey: string;
}

export class Directory {
  private readonly conversationDevices = new Map<string, TargetDevice[]>();
  /** Kind and members of the conversations seen (a direct conversation's other member is whom a block concerns). */
  private readonly shapes = new Map<string, { kind: string; userIds: string[] }>();
  private readonly deviceByUuid = new Map<string, TargetDevice>();

  constructor(private readonly ctx: ClientContext) {}

  /** Re-reads a conversation (and its participants' devices) from the server. */
  async conversation(id: string): Promise<Conversation> {
    const r = (await this.ctx.transport.request(ConversationDocument, { id })).conversation;
    if (r.__typename !== 'Conversation') throw domainError(r);
    this.remember(r);
    return r;
  }

  remember(c: Conversation): void {
    const targets: TargetDevice[] = [];
    for (const p of c.participants) {
      for (const d of p.user.devices) {
        const t = { userId: p.userId, uuid: d.id, deviceId: d.deviceId, registrationId: d.registrationId, identityKey: d.identityKey };
        this.deviceByUuid.set(d.id, t);
        if (d.id !== this.ctx.credentials.deviceUuid) targets.push(t);
      }
    }
    this.conversationDevices.set(c.id, targets);
    this.shapes.set(c.id, { kind: c.kind, userIds: c.participants.map((p) => p.userId) });
  }

  /** The other member of a direct conversation (read from the server when unknown); null for a group. */
  async directPeer(conversationId: string): Promise<string | null> {
    if (!this.shapes.has(conversationId)) await this.conversation(conversationId);
    const shape = this.shapes.get(conversationId)!;
    return shape.kind === 'DIRECT' ? (shape.userIds.find((u) => u !== this.ctx.credentials.userId) ?? null) : null;
  }

  /** Whether a conversation is a group (read from the server when unknown): groups use Sender Keys (groups.ts). */
  async isGroup(conversationId: string): Promise<boolean> {
    if (!this.shapes.has(conversationId)) await this.conversation(conversationId);
    return this.shapes.get(conversationId)!.kind === 'GROUP';
  }

  /** A user's device by Device.id, as the server lists it now (null when it is gone). */
  async deviceOf(userId: string, uuid: string): Promise<TargetDevice | null> {
    const devices = (await this.ctx.transport.request(DevicesDocument, { userId })).devices;
    const d = devices.find((x) => x.id === uuid);
    if (!d) return null;
    const t = { userId, uuid: d.id, deviceId: d.deviceId, registrationId: d.registrationId, identityKey: d.identityKey };
    this.deviceByUuid.set(d.id, t);
    return t;
  }

  /** The devices a message to the conversation is encrypted for (read from the server when unknown or `refresh`). */
  async recipients(conversationId: string, refresh: boolean): Promise<TargetDevice[]> {
    if (refresh || !this.conversationDevices.has(conversationId)) await this.conversation(conversationId);
    return this.conversationDevices.get(conversationId)!;
  }

  /** A device seen in some conversation, by Device.id. */
  device(uuid: string): TargetDevice | undefined {
    return this.deviceByUuid.get(uuid);
  }

  /** Forgets every device list (they are read again on the next send). */
  clear(): void {
    this.conversationDevices.clear();
  }
}
