/**
 * SQL predicates over the `messages` table (alias `m`) that several domains share: written once so that
 * the conversation list, history, receipts and attachment access agree on what a reader can see.
 */

/** A message is visible until its disappearing timer runs out (a deleted one stays visible as a tombstone). */
export const VISIBLE_MESSAGE = `(m.expires_at is null or m.expires_at > now())`;

/** A live message: visible and not deleted for everyone (its attachments may still be downloaded). */
export const LIVE_MESSAGE = `(m.deleted_at is null and ${VISIBLE_MESSAGE})`;

/**
 * Trust predicates (docs/trust.md), over uuid SQL expressions. Written once so that sends, acknowledgements,
 * receipts, presence, typing, prekey claims and the directory agree on who blocked whom and who is whose
 * contact. Each is one primary-key or index probe.
 */

/** `blocker` blocked `blocked`. */
export const blockedBy = (blocker: string, blocked: string) =>
  `exists (select 1 from blocks bl where bl.blocker_id = ${blocker} and bl.blocked_id = ${blocked})`;

/** Either of the two users blocked the other. */
export const blockedEither = (a: string, b: string) => `(${blockedBy(a, b)} or ${blockedBy(b, a)})`;

/**
 * `user` accepted a conversation `other` is in (created it, sent in it, answered ACCEPT, or was added by an
 * accepted contact): `other` is one of `user`'s contacts. Presence reaches only such users, a member added
 * by one is not a message request, and a non-discoverable user is found only by them.
 */
export const acceptedContact = (user: string, other: string) =>
  `exists (select 1 from conversation_members ac_u join conversation_members ac_o on ac_o.conversation_id = ac_u.conversation_id
            where ac_u.user_id = ${user} and ac_u.accepted_at is not null and ac_o.user_id = ${other})`;

/** The message `m` was not withheld from `viewer` (sent by someone `viewer` had blocked: never delivered to them). */
export const notWithheld = (viewer: string) => `not exists (select 1 from message_withheld wh where wh.message_id = m.id and wh.user_id = ${viewer})`;
