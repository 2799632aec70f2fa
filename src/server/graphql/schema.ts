/** Assembles the schema: every domain's `*.graphql.ts` registers its types on the builder. */
import { lexicographicSortSchema, printSchema } from 'graphql';
import './types.js';
import '../accounts/accounts.graphql.js';
import '../conversations/conversations.graphql.js';
import '../presence/presence.graphql.js';
import '../messages/messages.graphql.js';
import '../messages/inbox.graphql.js';
import '../messages/conversation-events.graphql.js';
import '../calls/calls.graphql.js';
import '../attachments/attachments.graphql.js';
import '../keys/keys.graphql.js';
import '../messages/retries.graphql.js';
import '../blocks/blocks.graphql.js';
import '../reports/reports.graphql.js';
import '../requests/requests.graphql.js';
import '../directory/directory.graphql.js';
import '../push/push.graphql.js';
import { builder } from './builder.js';

export const schema = builder.toSchema({ sortSchema: true });

export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
