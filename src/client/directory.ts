/**
 * Who to encrypt for: the current devices of every participant of a conversation (and the user's own other
 * devices), learned from the conversation's participant list and refreshed when the server refuses a send
 * as mismatched or stale, or when the user's device list changes.
 */
import { ConversationDocument } from './generated/graphql.js';
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
