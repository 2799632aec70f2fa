/**
 * The composition root of the domain layer: every service, built once per app and reached by resolvers
 * through the context. Services take plain inputs and return plain results or DomainErrors; nothing here
 * knows GraphQL.
 */
import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { AccountsService } from './accounts/accounts.service.js';
import { TokenService } from './accounts/auth.js';
import { AttachmentsService } from './attachments/attachments.service.js';
import { LocalDirBlobStore } from './attachments/blob-store.js';
import { BlocksService } from './blocks/blocks.service.js';
import { CallsService } from './calls/calls.service.js';
import type { Config } from './config.js';
import { ConversationsService } from './conversations/conversations.service.js';
import { DirectoryService } from './directory/directory.service.js';
import type { Bus } from './events.js';
import { KeysService } from './keys/keys.service.js';
import { Periodic } from './kernel/periodic.js';
import { MessagesService } from './messages/messages.service.js';
import { RetriesService } from './messages/retries.service.js';
import { MessageSweeper, type SweepResult } from './messages/sweeper.js';
import type { Metrics } from './ops/metrics.js';
import { PresenceService } from './presence/presence.service.js';
import type { TrackedDeviceActivity } from './push/device-activity.js';
import type { PushDomain } from './push/push.js';
import { RateLimiter } from './ratelimit/index.js';
import { PresenceTracker } from './realtime/presence.js';
import { TypingTracker } from './realtime/typing.js';
import { ReportsService } from './reports/reports.service.js';
import { RequestsService } from './requests/requests.service.js';

export interface Services {
  config: Config;
  orm: MikroORM;
  knex: Knex;
  bus: Bus;
  log: Logger;
  metrics: Metrics;
  tokens: TokenService;
  accounts: AccountsService;
  conversations: ConversationsService;
  messages: MessagesService;
  /** Decryption-error replies (type-8 envelopes) and the resends they allow. */
  retries: RetriesService;
  /** Trust and abuse (docs/trust.md): blocks, message requests, spam reports, the directory. */
  blocks: BlocksService;
  requests: RequestsService;
  reports: ReportsService;
  directory: DirectoryService;
  calls: CallsService;
  /** Encrypted attachment metadata and access; blobs behind `attachments.store` (a BlobStore). */
  attachments: AttachmentsService;
  /** Token buckets in PostgreSQL, shared by every domain's rate limits. */
  rateLimiter: RateLimiter;
  keys: KeysService;
  presence: PresenceService;
  typing: TypingTracker;
  /** Push (docs/push.md): targets, the notifier, providers, the VAPID public key. */
  push: PushDomain;
  /** Which devices stream their inbox now (this instance, or every instance with REDIS_URL); feeds the notifier. */
  pushActivity: TrackedDeviceActivity;
  /** Purges expired messages and envelopes past retention (MESSAGE_SWEEP_INTERVAL_MS). */
  messageSweeper: Periodic<SweepResult>;
  /** Marks ringing calls past CALL_RING_TIMEOUT_SECONDS missed (CALL_SWEEP_INTERVAL_MS). */
  callSweeper: Periodic<string[]>;
  /** Deletes blobs of deleted or expired messages and never-sent uploads (ATTACHMENT_SWEEP_INTERVAL_MS). */
  attachmentSweeper: Periodic<string[]>;
}

export function createServices(deps: {
  config: Config;
  orm: MikroORM;
  bus: Bus;
  log: Logger;
  metrics: Metrics;
  /** Built first (createPush is async: VAPID keys may come from a file), with `pushActivity`. */
  push: PushDomain;
  pushActivity: TrackedDeviceActivity;
  /** This instance's id (presence heartbeat, push activity). */
  instanceId: string;
}): Services {
  const { config, orm, bus, log, push, pushActivity, instanceId, ...rest } = deps;
  const knex = orm.em.getKnex();
  const tokens = new TokenService(config.jwtSecret, config.accessTokenTtlSeconds, config.externalAuth);
  const rateLimiter = new RateLimiter(knex);
  const accounts = new AccountsService(orm, tokens, config, bus, rateLimiter);
  const keys = new KeysService(knex, config, bus, rateLimiter, log);
  const conversations = new ConversationsService(orm, bus);
  const tracker = new PresenceTracker((userId) => bus.publish('presenceChanged', userId, { userId }), bus.redis, instanceId);
  const presence = new PresenceService(tracker, accounts, conversations);
  const typing = new TypingTracker(
    (conversationId, userId, isTyping) => bus.publish('typing', conversationId, { conversationId, userId, typing: isTyping }),
    config.typingTtlMs,
  );
  const messages = new MessagesService(orm, bus, conversations, config, rateLimiter);
  rest.metrics.groupCommits({ send: messages.sends.stats, ack: messages.acks.stats });
  const calls = new CallsService(orm, bus, conversations, config);
  const retries = new RetriesService(knex, bus, config);
  const blocks = new BlocksService(orm, bus);
  const reports = new ReportsService(knex, config.operatorUserIds);
  const requests = new RequestsService(conversations, blocks, messages, reports, bus);
  const directory = new DirectoryService(knex, rateLimiter, bus);
  const attachments = new AttachmentsService(knex, new LocalDirBlobStore(config.blobDir), config, log);
  messages.bindAttachments = (trx, messageId, senderUserId, ids) => attachments.bindToMessage(trx, messageId, senderUserId, ids);
  // push: envelopes stored and calls ringing wake offline devices; inbox streams and queue reads say who is online
  messages.onEnvelopeStored = (deviceUuid, envelopeId) => push.notifier.notifyEnvelope(deviceUuid, envelopeId);
  retries.onEnvelopeStored = messages.onEnvelopeStored;
  messages.activity = pushActivity;
  calls.onRinging = (callId, devices) => {
    for (const d of devices) push.notifier.notifyCall(d, callId);
  };
  const sweep = new MessageSweeper(knex, bus, { retentionDays: config.envelopeRetentionDays, log });
  const messageSweeper = new Periodic('messaging sweep', () => sweep.sweepOnce(), log);
  const callSweeper = new Periodic(
    'call sweep',
    async () => {
      const ids = await calls.sweepMissed();
      if (ids.length) log.info({ missedCalls: ids.length }, 'call sweep');
      return ids;
    },
    log,
  );
  const attachmentSweeper = new Periodic('attachment sweep', () => attachments.sweepOnce(), log);
  return { config, orm, bus, log, ...rest, push, pushActivity, knex, tokens, accounts, conversations, messages, retries, blocks, requests, reports, directory, calls, attachments, rateLimiter, keys, presence, typing, messageSweeper, callSweeper, attachmentSweeper };
}
