/**
 * MikroORM bootstrap on PostgreSQL (a real server, or the embedded PGlite served over a socket), with the
 * committed migrations applied on start.
 */
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options, PostgreSqlDriver } from '@mikro-orm/postgresql';

import { migrationsList } from '../../../migrations/index.js';
import { EMBEDDED_APPLICATION_NAME } from './embedded.js';
import { entities } from './entities.js';
import { usePreparedStatements } from './sql.js';

export function ormOptions(clientUrl: string, poolSize: number): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    migrations: { migrationsList, snapshot: false, transactional: true, allOrNothing: true, silent: true },
    pool: {
      min: 0,
      max: poolSize,
      // Prepared statements (db/sql.ts) keep one generic plan per connection instead of re-planning each
      // call: the relay's statements are index lookups whose best plan does not depend on the values.
      afterCreate: (conn: { query: (sql: string, cb: (err?: Error) => void) => void }, done: (err: Error | undefined, c: unknown) => void) =>
        conn.query('set plan_cache_mode = force_generic_plan', (err) => done(err, conn)),
    },
    allowGlobalContext: false,
    debug: false,
    // tables are created by migrations only
    schemaGenerator: { disableForeignKeys: false },
  };
}

export async function openOrm(clientUrl: string, poolSize: number): Promise<MikroORM> {
  // the embedded database serves every socket from one PGlite session, where a statement name prepared
  // through one connection already exists for the next
  if (clientUrl.includes(`application_name=${EMBEDDED_APPLICATION_NAME}`)) usePreparedStatements(false);
  return MikroORM.init(ormOptions(clientUrl, poolSize));
}

export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
