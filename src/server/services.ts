/** The services every resolver reaches through the context. Built once per app. */
import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { AccountsService } from './accounts/accounts.service.js';
import { TokenService } from './accounts/auth.js';
import type { Config } from './config.js';
import { ConversationsService } from './conversations/conversations.service.js';
import { MessagesService } from './messages/messages.service.js';
import { MessageSweeper } from './messages/sweeper.js';
import { AttachmentSweeper, AttachmentsService } from './attachments/attachments.service.js';
import { LocalDirBlobStore } from './attachments/blob-store.js';
import { CallsService } from './calls/calls.service.js';
import { CallSweeper } from './calls/calls.sweeper.js';
import { KeysService } from './keys/keys.service.js';
import type { Metrics } from './ops/metrics.js';
import { PresenceService } from './realtime/presence.js';
import { RateLimiter } from './ratelimit/index.js';
import type { EventBus } from './realtime/pubsub.js';
import { TypingService } from './realtime/typing.js';

export interface Services {
  config: Config;
  orm: MikroORM;
  knex: Knex;
  bus: EventBus;
  log: Logger;
  metrics: Metrics;
  tokens: TokenService;
  accounts: AccountsService;
  conversations: ConversationsService;
  messages: MessagesService;
  /** Purges expired messages and envelopes past retention; started and stopped with the app. */
  messageSweeper: MessageSweeper;
  calls: CallsService;
  /** Marks ringing calls past CALL_RING_TIMEOUT_SECONDS missed; started and stopped with the app. */
  callSweeper: CallSweeper;
  /** Encrypted attachment metadata and access; blobs behind `attachments.store` (a BlobStore). */
  attachments: AttachmentsService;
  /** Deletes blobs of deleted or expired messages and never-sent uploads; started and stopped with the app. */
  attachmentSweeper: AttachmentSweeper;
  /** Token buckets in PostgreSQL, shared by every domain's rate limits. */
  rateLimiter: RateLimiter;
  keys: KeysService;
  presence: PresenceService;
  typing: TypingService;
}

export function createServices(deps: { config: Config; orm: MikroORM; bus: EventBus; log: Logger; metrics: Metrics }): Services {
  const { config, orm, bus } = deps;
  const knex = orm.em.getKnex();
  const tokens = new TokenService(config.jwtSecret, config.accessTokenTtlSeconds, config.externalAuth);
  const accounts = new AccountsService(knex, tokens, config, bus);
  const rateLimiter = new RateLimiter(knex);
  const keys = new KeysService(knex, config, bus, rateLimiter, deps.log);
  const presence = new PresenceService(knex, bus);
  const typing = new TypingService(bus, config.typingTtlMs);
  const conversations = new ConversationsService(knex, bus);
  const messages = new MessagesService(knex, bus, conversations, config, rateLimiter, deps.log);
  const messageSweeper = new MessageSweeper(knex, bus, { retentionDays: config.envelopeRetentionDays, log: deps.log });
  const calls = new CallsService(knex, bus, conversations, config);
  const callSweeper = new CallSweeper(calls, deps.log);
  const attachments = new AttachmentsService(knex, new LocalDirBlobStore(config.blobDir), config, deps.log);
  const attachmentSweeper = new AttachmentSweeper(attachments, deps.log);
  messages.bindAttachments = (trx, messageId, senderUserId, ids) => attachments.bindToMessage(trx, messageId, senderUserId, ids);
  return { ...deps, knex, tokens, accounts, conversations, messages, messageSweeper, calls, callSweeper, attachments, attachmentSweeper, rateLimiter, keys, presence, typing };
}
