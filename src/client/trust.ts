/**
 * Trust and abuse on the device (docs/trust.md): safety numbers and verification, blocking, answers to
 * message requests, spam reports, and the directory (exact username lookup, contacts).
 *
 * Safety numbers follow docs/protocol-api.md "A user's safety number over their devices": one number per
 * pair of users, Fingerprint.forUsers over the identity keys of every current device of each user, with the
 * users' ids (UTF-8) as the stable identifiers; version 2, 5,200 iterations, as Signal's apps. It changes
 * whenever either user adds, removes or re-installs a device, so verifying means "all of their devices, as
 * they are now".
 *
 * The block list and the answers to message requests are the user's: the server keeps them and tells every
 * one of the user's devices (the `trust` event); a DELETE answered on one device clears the conversation's
 * messages on all of them.
 */
import { Fingerprint, PublicKey } from '../protocol/index.js';
import { fromBase64 } from './base64.js';
import type { ClientContext, Subscribe, TrustEvent } from './context.js';
import type { Directory } from './directory.js';
import { ClientError } from './errors.js';
import {
  BlockedUsersDocument,
  BlockUserDocument,
  ContactsDocument,
  DevicesDocument,
  type MessageRequestAction,
  ReportSpamDocument,
  RespondToMessageRequestDocument,
  SearchUsersDocument,
  SetDiscoverableDocument,
  SpamReportsDocument,
  TrustEventsDocument,
  UnblockUserDocument,
  UserByUsernameDocument,
  type UserFieldsFragment,
} from './generated/graphql.js';
import type { Sessions } from './sessions.js';
import { domainError } from './transport.js';

/** Reporting tokens one report carries at most (the server's limit). */
export const MAX_REPORT_TOKENS = 100;
const DELETING: readonly MessageRequestAction[] = ['DELETE', 'BLOCK_AND_DELETE', 'SPAM', 'BLOCK_AND_SPAM'];
const utf8 = new TextEncoder();

export type { MessageRequestAction };
export type DirectoryUser = UserFieldsFragment;

export interface SafetyNumber {
  userId: string;
  /** 60 digits, the same on both sides (show in 12 groups of 5). */
  displayable: string;
  /** The QR code's bytes (libsignal's scannable fingerprint); the other side compares with compareSafetyNumber. */
  scannable: Uint8Array;
  /** The identity keys it covers (base64 of the 33-byte keys), each side's sorted. */
  localKeys: string[];
  remoteKeys: string[];
  /** The app verified exactly these keys of the peer. */
  verified: boolean;
}

/** What answering a message request did. */
export interface MessageRequestAnswer {
  conversationId: string;
  /** The conversation is still a request for this user (null when they left it). */
  messageRequest: boolean | null;
  /** This user left the conversation (a group answered with anything but ACCEPT). */
  left: boolean;
  /** Spam reports stored. */
  reported: number;
  /** The user blocked by the answer, if any. */
  blockedUserId: string | null;
}

/** VERIFIED: verified and unchanged; CHANGED: verified, but their devices' keys are not the verified ones; UNVERIFIED. */
export type VerificationState = 'VERIFIED' | 'CHANGED' | 'UNVERIFIED';

export interface SpamReport {
  id: string;
  reporterUserId: string;
  senderUserId: string;
  messageId: string;
  conversationId: string | null;
  messageSentAt: string | null;
  reportedAt: string;
}

export class Trust {
  private blocked: Set<string> | null = null;

  constructor(
    private readonly ctx: ClientContext,
    private readonly sessions: Sessions,
    private readonly directory: Directory,
  ) {}

  /** Follows the user's trust changes made on any device: keeps the block list, clears deleted requests, tells the app. */
  follow(subscribe: Subscribe): () => void {
    return subscribe(TrustEventsDocument, {}, async (v) => {
      const e = v.trustEvents;
      if (e.kind === 'BLOCKED' && e.userId) this.blocked?.add(e.userId);
      if (e.kind === 'UNBLOCKED' && e.userId) this.blocked?.delete(e.userId);
      if (e.kind === 'MESSAGE_REQUEST' && e.conversationId && e.action && DELETING.includes(e.action)) {
        await this.ctx.store.removeConversationMessages(e.conversationId);
      }
      await this.ctx.events.emit('trust', e as TrustEvent);
    });
  }

  // ---------------------------------------------------------------- safety numbers

  private async keysOf(userId: string): Promise<string[]> {
    const devices = (await this.ctx.transport.request(DevicesDocument, { userId })).devices;
    return [...new Set(devices.map((d) => d.identityKey))].sort();
  }

  private async fingerprint(userId: string): Promise<{ fp: Fingerprint; localKeys: string[]; remoteKeys: string[] }> {
    const self = this.ctx.credentials.userId;
    if (userId === self) throw new ClientError('InvalidContent', 'a safety number is between two users');
    const [localKeys, remoteKeys] = await Promise.all([this.keysOf(self), this.keysOf(userId)]);
    if (remoteKeys.length === 0) throw new ClientError('Server', `user ${userId} has no devices`);
    const keys = (list: string[]) => list.map((k) => PublicKey.deserialize(fromBase64(k)));
    const fp = Fingerprint.forUsers({ identifier: utf8.encode(self), identityKeys: keys(localKeys) }, { identifier: utf8.encode(userId), identityKeys: keys(remoteKeys) });
    return { fp, localKeys, remoteKeys };
  }

  /** The safety number of this user and `userId` over both users' current devices. */
  async safetyNumber(userId: string): Promise<SafetyNumber> {
    const { fp, localKeys, remoteKeys } = await this.fingerprint(userId);
    const verified = await this.sessions.verification.keys(userId);
    return {
      userId,
      displayable: fp.displayableFingerprint().toString(),
      scannable: fp.scannableFingerprint().serialize(),
      localKeys,
      remoteKeys,
      verified: verified !== null && sameKeys(verified, remoteKeys),
    };
  }

  /** Whether a scanned QR code (the other side's `scannable`) matches our safety number with `userId`. */
  async compareSafetyNumber(userId: string, scanned: Uint8Array): Promise<boolean> {
    return (await this.fingerprint(userId)).fp.scannableFingerprint().compare(scanned);
  }

  /**
   * Marks the peer's current device keys verified (the user compared safety numbers) and trusts them. With
   * `shown`, exactly the number the user compared: if their devices changed since, SafetyNumberChanged.
   * From now on a changed key or a new device of theirs is not trusted until verify() again.
   */
  async verify(userId: string, shown?: SafetyNumber): Promise<SafetyNumber> {
    const current = await this.safetyNumber(userId);
    if (shown && shown.displayable !== current.displayable) throw new ClientError('SafetyNumberChanged', `the safety number with ${userId} changed; compare again`);
    const devices = (await this.ctx.transport.request(DevicesDocument, { userId })).devices;
    for (const d of devices) await this.sessions.trustKey({ userId, deviceId: d.deviceId }, fromBase64(d.identityKey));
    await this.sessions.verification.set(userId, current.remoteKeys);
    this.directory.clear();
    return { ...current, verified: true };
  }

  /** Forgets the verification of a user (trust on first use again; a changed key then needs trustIdentity()). */
  async unverify(userId: string): Promise<void> {
    await this.sessions.verification.set(userId, null);
  }

  async verificationState(userId: string): Promise<VerificationState> {
    const verified = await this.sessions.verification.keys(userId);
    if (!verified) return 'UNVERIFIED';
    return sameKeys(verified, await this.keysOf(userId)) ? 'VERIFIED' : 'CHANGED';
  }

  // ---------------------------------------------------------------- blocking

  /** The users this user blocked (the server's list, the same on all devices). */
  async blockedUsers(): Promise<string[]> {
    const list = (await this.ctx.transport.request(BlockedUsersDocument, {})).blockedUsers.map((b) => b.userId);
    this.blocked = new Set(list);
    return list;
  }

  async block(userId: string): Promise<string[]> {
    const r = (await this.ctx.transport.request(BlockUserDocument, { userId })).blockUser;
    if (r.__typename !== 'BlockList') throw domainError(r);
    this.blocked = new Set(r.users.map((u) => u.userId));
    return [...this.blocked];
  }

  async unblock(userId: string): Promise<string[]> {
    const r = (await this.ctx.transport.request(UnblockUserDocument, { userId })).unblockUser;
    if (r.__typename !== 'BlockList') throw domainError(r);
    this.blocked = new Set(r.users.map((u) => u.userId));
    return [...this.blocked];
  }

  async isBlocked(userId: string): Promise<boolean> {
    if (!this.blocked) await this.blockedUsers();
    return this.blocked!.has(userId);
  }

  /** Refuses (Blocked) to send in a direct conversation with a user this user blocked: unblock first. */
  async assertMaySend(conversationId: string): Promise<void> {
    const peer = await this.directory.directPeer(conversationId);
    if (peer && (await this.isBlocked(peer))) throw new ClientError('Blocked', `user ${peer} is blocked: unblock to send`);
  }

  // ---------------------------------------------------------------- message requests and spam

  /** Reporting tokens of the messages others sent in a conversation (newest last), or of the named messages. */
  private async tokens(target: { conversationId: string } | { messageIds: string[] }): Promise<string[]> {
    const { store, credentials } = this.ctx;
    if ('conversationId' in target) {
      const list = await store.listMessages(target.conversationId);
      return list
        .filter((m) => m.senderUserId !== credentials.userId && m.reportingToken)
        .map((m) => m.reportingToken!)
        .slice(-MAX_REPORT_TOKENS);
    }
    const out: string[] = [];
    for (const id of target.messageIds) {
      const m = await store.getMessage(id);
      if (!m?.reportingToken) throw new ClientError('InvalidContent', `message ${id} was not received by this device: it cannot be reported`);
      out.push(m.reportingToken);
    }
    return out;
  }

  /**
   * Answers a message request (Signal's ACCEPT, DELETE, BLOCK, BLOCK_AND_DELETE, SPAM, BLOCK_AND_SPAM) in one
   * call; SPAM answers report the conversation's received messages. Every device of the user follows it.
   */
  async respondToMessageRequest(conversationId: string, action: MessageRequestAction): Promise<MessageRequestAnswer> {
    const spam = action === 'SPAM' || action === 'BLOCK_AND_SPAM';
    const reportingTokens = spam ? await this.tokens({ conversationId }) : undefined;
    const r = (await this.ctx.transport.request(RespondToMessageRequestDocument, { conversationId, action, reportingTokens })).respondToMessageRequest;
    if (r.__typename !== 'MessageRequestResponse') throw domainError(r);
    if (r.blockedUserId) this.blocked?.add(r.blockedUserId);
    if (DELETING.includes(action)) await this.ctx.store.removeConversationMessages(conversationId);
    return { conversationId, messageRequest: r.conversation?.messageRequest ?? null, left: r.conversation === null, reported: r.reported, blockedUserId: r.blockedUserId };
  }

  /** Reports received messages as spam: those of a conversation, or the named ones. No content leaves the device. */
  async reportSpam(target: { conversationId: string } | { messageIds: string[] }): Promise<number> {
    const reportingTokens = await this.tokens(target);
    if (reportingTokens.length === 0) return 0;
    const r = (await this.ctx.transport.request(ReportSpamDocument, { reportingTokens })).reportSpam;
    if (r.__typename !== 'SpamReported') throw domainError(r);
    return r.reported;
  }

  /** Spam reports, newest first: for operators (OPERATOR_USER_IDS); anyone else gets ServerError NOT_OPERATOR. */
  async spamReports(opts: { first?: number; after?: string; senderUserId?: string } = {}): Promise<{ items: SpamReport[]; endCursor: string | null; hasNextPage: boolean }> {
    const r = (await this.ctx.transport.request(SpamReportsDocument, opts)).spamReports;
    if (r.__typename !== 'SpamReportPage') throw domainError(r);
    return { items: r.items, endCursor: r.pageInfo.endCursor, hasNextPage: r.pageInfo.hasNextPage };
  }

  // ---------------------------------------------------------------- directory

  /** The user with exactly this username, or null (also for a user who is not discoverable to strangers). */
  async findUser(username: string): Promise<DirectoryUser | null> {
    const r = (await this.ctx.transport.request(UserByUsernameDocument, { username })).userByUsername;
    if (r == null) return null;
    if (r.__typename !== 'User') throw domainError(r);
    return r;
  }

  /** This user's contacts (the members of conversations they accepted, less blocked users), by username. */
  async contacts(first = 50, after?: string): Promise<{ items: DirectoryUser[]; endCursor: string | null; hasNextPage: boolean }> {
    const r = (await this.ctx.transport.request(ContactsDocument, { first, after })).contacts;
    if (r.__typename !== 'UserPage') throw domainError(r);
    return { items: r.items, endCursor: r.pageInfo.endCursor, hasNextPage: r.pageInfo.hasNextPage };
  }

  /** This user's contacts whose username starts with, or display name contains, `term`. */
  async searchContacts(term: string, first = 20, after?: string): Promise<{ items: DirectoryUser[]; endCursor: string | null; hasNextPage: boolean }> {
    const r = (await this.ctx.transport.request(SearchUsersDocument, { search: term, first, after })).users;
    if (r.__typename !== 'UserPage') throw domainError(r);
    return { items: r.items, endCursor: r.pageInfo.endCursor, hasNextPage: r.pageInfo.hasNextPage };
  }

  /** Whether strangers find this user by exact username (contacts always do). */
  async setDiscoverable(discoverable: boolean): Promise<void> {
    await this.ctx.transport.request(SetDiscoverableDocument, { discoverable });
  }
}

function sameKeys(a: ReadonlySet<string>, b: readonly string[]): boolean {
  return a.size === b.length && b.every((k) => a.has(k));
}
