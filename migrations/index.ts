/**
 * The ordered list of migrations, imported statically so the same list runs under tsx, vitest and the
 * MikroORM CLI. Add a new migration here, after the last one; never edit one that has shipped.
 */
import { Migration20261125000001_accounts } from './Migration20261125000001_accounts.js';
import { Migration20261125000002_keys } from './Migration20261125000002_keys.js';
import { Migration20261125000003_messaging } from './Migration20261125000003_messaging.js';
import { Migration20261125000004_calls } from './Migration20261125000004_calls.js';
import { Migration20261125000005_attachments } from './Migration20261125000005_attachments.js';
import { Migration20261201000001_push_targets } from './Migration20261201000001_push_targets.js';
import { Migration20261202000001_trust } from './Migration20261202000001_trust.js';
import { Migration20261203000001_group_send } from './Migration20261203000001_group_send.js';

export const migrationsList = [
  { name: 'Migration20261125000001_accounts', class: Migration20261125000001_accounts },
  { name: 'Migration20261125000002_keys', class: Migration20261125000002_keys },
  { name: 'Migration20261125000003_messaging', class: Migration20261125000003_messaging },
  { name: 'Migration20261125000004_calls', class: Migration20261125000004_calls },
  { name: 'Migration20261125000005_attachments', class: Migration20261125000005_attachments },
  { name: 'Migration20261201000001_push_targets', class: Migration20261201000001_push_targets },
  { name: 'Migration20261202000001_trust', class: Migration20261202000001_trust },
  { name: 'Migration20261203000001_group_send', class: Migration20261203000001_group_send },
];
