/**
 * Answering message requests (docs/trust.md), with Signal's six answers as one call: ACCEPT, DELETE, BLOCK,
 * BLOCK_AND_DELETE, SPAM, BLOCK_AND_SPAM. What each does:
 *
 * - ACCEPT: the caller's membership is accepted: from now on the others get the caller's presence, typing
 *   and receipts. (Sending in the conversation accepts it too.)
 * - DELETE: direct: the conversation is emptied for the caller (history and queued envelopes) and leaves
 *   the list until a new message arrives; group: the caller leaves it.
 * - BLOCK: direct: blocks the other user; group: blocks the user who added the caller, and leaves.
 * - SPAM: reports the named deliveries (reporting tokens) as spam, then DELETE.
 * - BLOCK_AND_DELETE, BLOCK_AND_SPAM: both.
 *
 * The answer is the user's, so every one of their devices hears it (`trustSync`, MESSAGE_REQUEST); the
 * requester is told nothing. Tokens are checked before anything changes: a bad one refuses the whole call.
 */
import type { BlocksService } from '../blocks/blocks.service.js';
import type { ConversationRow, ConversationsService } from '../conversations/conversations.service.js';
import type { Bus } from '../events.js';
import type { AuthDevice } from '../kernel/auth.js';
import { InvalidInputError } from '../kernel/errors.js';
import type { MessagesService } from '../messages/messages.service.js';
import type { ReportsService } from '../reports/reports.service.js';

export const MESSAGE_REQUEST_ACTIONS = ['ACCEPT', 'DELETE', 'BLOCK', 'BLOCK_AND_DELETE', 'SPAM', 'BLOCK_AND_SPAM'] as const;
export type MessageRequestAction = (typeof MESSAGE_REQUEST_ACTIONS)[number];

export interface MessageRequestResponse {
  conversationId: string;
  action: MessageRequestAction;
  /** The conversation as the caller sees it now; null when the caller left it (a group). */
  conversation: ConversationRow | null;
  /** Spam reports stored now. */
  reported: number;
  /** The user blocked now, if any. */
  blockedUserId: string | null;
}

export class RequestsService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly blocks: BlocksService,
    private readonly messages: MessagesService,
    private readonly reports: ReportsService,
    private readonly bus: Bus,
  ) {}

  async respond(auth: AuthDevice, conversationId: string, action: MessageRequestAction, reportingTokens: readonly string[] = []): Promise<MessageRequestResponse> {
    if (!MESSAGE_REQUEST_ACTIONS.includes(action)) throw new InvalidInputError('action', `expected one of ${MESSAGE_REQUEST_ACTIONS.join(', ')}`);
    const spam = action === 'SPAM' || action === 'BLOCK_AND_SPAM';
    if (reportingTokens.length && !spam) throw new InvalidInputError('reportingTokens', 'only SPAM and BLOCK_AND_SPAM report messages');
    const { kind } = await this.conversations.requireMember(conversationId, auth.userId);
    const block = action === 'BLOCK' || action === 'BLOCK_AND_DELETE' || action === 'BLOCK_AND_SPAM';
    const remove = action !== 'ACCEPT' && (action !== 'BLOCK' || kind === 'group');

    const reported = spam && reportingTokens.length ? (await this.reports.reportSpam(auth, reportingTokens)).reported : 0;
    let blockedUserId: string | null = null;
    if (block) {
      blockedUserId =
        kind === 'direct' ? await this.conversations.directPeer(auth.userId, conversationId) : await this.conversations.addedBy(auth.userId, conversationId);
      if (blockedUserId) await this.blocks.block(auth, blockedUserId);
    }
    let conversation: ConversationRow | null = null;
    if (action === 'ACCEPT') {
      await this.conversations.accept(auth.userId, conversationId);
      // the requester may now see the caller's presence: live presence streams ask visibility again
      this.bus.publish('presenceChanged', auth.userId, { userId: auth.userId });
    } else if (remove && kind === 'group') {
      await this.conversations.removeMember(auth.userId, conversationId, auth.userId);
    } else if (remove) {
      await this.messages.purgeQueued(auth.userId, conversationId);
      await this.conversations.clearHistory(auth.userId, conversationId);
    }
    if (!(remove && kind === 'group')) conversation = await this.conversations.get(auth.userId, conversationId);
    this.bus.publish('trustSync', auth.userId, { kind: 'MESSAGE_REQUEST', conversationId, action });
    return { conversationId, action, conversation, reported, blockedUserId };
  }
}
