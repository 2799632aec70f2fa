/** `npm run migrate`: apply pending migrations to DATABASE_URL (or the embedded database under DATA_DIR). */
import { loadConfig } from '../src/server/config.js';
import { startEmbeddedDatabase } from '../src/server/db/embedded.js';
import { migrate, openOrm } from '../src/server/db/orm.js';

const config = loadConfig();
const embedded = config.databaseUrl ? undefined : await startEmbeddedDatabase(config.dataDir);
const orm = await openOrm(config.databaseUrl ?? embedded!.url, 1);
try {
  const applied = await migrate(orm);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply');
} finally {
  await orm.close(true);
  await embedded?.stop();
}
