import { Migration } from '@mikro-orm/migrations';

/**
 * Conversations (direct and group) with their participants, message metadata, the per-device envelope
 * queue (ciphertext the server cannot read), receipts and reactions.
 */
export class Migration20261125000003_messaging extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table conversations (
        id uuid primary key,
        kind text not null check (kind in ('direct', 'group')),
        name text,
        avatar_url text,
        -- direct conversations: the two users, ordered (lo < hi), unique: creating one twice returns it
        direct_user_lo uuid references users (id) on delete cascade,
        direct_user_hi uuid references users (id) on delete cascade,
        disappearing_seconds integer check (disappearing_seconds is null or disappearing_seconds > 0),
        created_by uuid references users (id) on delete set null,
        created_at timestamptz not null default now(),
        check ((kind = 'direct') = (direct_user_lo is not null and direct_user_hi is not null)),
        check (direct_user_lo is null or direct_user_lo < direct_user_hi)
      );`);
    this.addSql(`create unique index conversations_direct_pair_key on conversations (direct_user_lo, direct_user_hi) where kind = 'direct';`);
    this.addSql(`
      create table conversation_members (
        conversation_id uuid not null references conversations (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        joined_at timestamptz not null default now(),
        -- messages.seq at join time: history and unread counts start after it
        joined_seq bigint not null default 0,
        last_read_seq bigint not null default 0,
        last_read_at timestamptz,
        muted boolean not null default false,
        primary key (conversation_id, user_id)
      );`);
    this.addSql(`create index conversation_members_user_idx on conversation_members (user_id, conversation_id);`);
    this.addSql(`
      create table messages (
        id uuid primary key,
        seq bigserial not null unique,
        conversation_id uuid not null references conversations (id) on delete cascade,
        sender_user_id uuid not null references users (id) on delete cascade,
        sender_device_uuid uuid not null,
        sender_device_id integer not null,
        client_message_id text not null,
        content_type text not null check (content_type in ('TEXT', 'IMAGE', 'VIDEO', 'AUDIO', 'FILE')),
        reply_to uuid references messages (id) on delete set null,
        recipient_count integer not null default 0,
        expires_at timestamptz,
        created_at timestamptz not null default now(),
        deleted_at timestamptz
      );`);
    this.addSql(`create unique index messages_sender_client_id_key on messages (sender_device_uuid, client_message_id);`);
    this.addSql(`create index messages_conversation_seq_idx on messages (conversation_id, seq desc);`);
    this.addSql(`create index messages_expires_at_idx on messages (expires_at) where expires_at is not null;`);
    this.addSql(`
      create table envelopes (
        id bigserial primary key,
        recipient_device uuid not null references devices (id) on delete cascade,
        message_id uuid not null references messages (id) on delete cascade,
        type smallint not null check (type in (2, 3)),
        ciphertext bytea not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index envelopes_recipient_idx on envelopes (recipient_device, id);`);
    this.addSql(`create index envelopes_message_idx on envelopes (message_id);`);
    // retention sweep: oldest undelivered envelopes first
    this.addSql(`create index envelopes_created_at_idx on envelopes (created_at);`);
    this.addSql(`
      create table message_receipts (
        message_id uuid not null references messages (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        delivered_at timestamptz,
        read_at timestamptz,
        primary key (message_id, user_id)
      );`);
    this.addSql(`
      create table message_reactions (
        message_id uuid not null references messages (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        emoji text not null,
        created_at timestamptz not null default now(),
        primary key (message_id, user_id)
      );`);
  }

  override async down(): Promise<void> {
    for (const t of ['message_reactions', 'message_receipts', 'envelopes', 'messages', 'conversation_members', 'conversations']) {
      this.addSql(`drop table if exists ${t};`);
    }
  }
}
