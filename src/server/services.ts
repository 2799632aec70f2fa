/** The services every resolver reaches through the context. Built once per app. */
import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { AccountsService } from './accounts/accounts.service.js';
import { TokenService } from './accounts/auth.js';
import type { Config } from './config.js';
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
}

export function createServices(deps: { config: Config; orm: MikroORM; bus: EventBus; log: Logger; metrics: Metrics }): Services {
  const { config, orm, bus } = deps;
  const knex = orm.em.getKnex();
  const tokens = new TokenService(config.jwtSecret, config.accessTokenTtlSeconds, config.externalAuth);
  const accounts = new AccountsService(knex, tokens, config, bus);
  return { ...deps, knex, tokens, accounts };
}
