/**
 * SQL predicates over the `messages` table (alias `m`) that several domains share: written once so that
 * the conversation list, history, receipts and attachment access agree on what a reader can see.
 */

/** A message is visible until its disappearing timer runs out (a deleted one stays visible as a tombstone). */
export const VISIBLE_MESSAGE = `(m.expires_at is null or m.expires_at > now())`;

/** A live message: visible and not deleted for everyone (its attachments may still be downloaded). */
export const LIVE_MESSAGE = `(m.deleted_at is null and ${VISIBLE_MESSAGE})`;
