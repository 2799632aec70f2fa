/** The services every resolver reaches through the context. Built once per app. */
import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { AccountsService } from './accounts/accounts.service.js';
import { TokenService } from './accounts/auth.js';
import type { Config } from './config.js';
import { ConversationsService } from './conversations/conversations.service.js';
import { MessagesService } from './messages/messages.service.js';
import { MemoryRateLimiter } from './messages/send-limiter.js';
import { MessageSweeper } from './messages/sweeper.js';
import type { Metrics } from './ops/metrics.js';
import type { EventBus } from './realtime/pubsub.js';

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
}

export function createServices(deps: { config: Config; orm: MikroORM; bus: EventBus; log: Logger; metrics: Metrics }): Services {
  const { config, orm, bus } = deps;
  const knex = orm.em.getKnex();
  const tokens = new TokenService(config.jwtSecret, config.accessTokenTtlSeconds, config.externalAuth);
  const accounts = new AccountsService(knex, tokens, config, bus);
  const conversations = new ConversationsService(knex, bus);
  const messages = new MessagesService(knex, bus, conversations, config, new MemoryRateLimiter(), deps.log);
  const messageSweeper = new MessageSweeper(knex, bus, { retentionDays: config.envelopeRetentionDays, log: deps.log });
  return { ...deps, knex, tokens, accounts, conversations, messages, messageSweeper };
}
