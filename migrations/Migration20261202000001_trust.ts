import { Migration } from '@mikro-orm/migrations';

/**
 * Trust and abuse (docs/trust.md): blocks, message requests (a membership is a request until accepted),
 * messages withheld from users who blocked their sender, the per-user discoverability setting, spam
 * reports with the key that signs reporting tokens, and decryption-error recovery (type-8 envelopes that
 * name their own sender, and the one resend each one allows).
 */
export class Migration20261202000001_trust extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table users add column discoverable boolean not null default true;`);

    this.addSql(`
      create table blocks (
        blocker_id uuid not null references users (id) on delete cascade,
        blocked_id uuid not null references users (id) on delete cascade,
        created_at timestamptz not null default now(),
        primary key (blocker_id, blocked_id),
        check (blocker_id <> blocked_id)
      );`);
    // "who blocked this user" (the send statement and the claim look a pair up either way round)
    this.addSql(`create index blocks_blocked_idx on blocks (blocked_id, blocker_id);`);

    // null: a message request (the member has not accepted the conversation); memberships that existed
    // before message requests count as accepted
    this.addSql(`alter table conversation_members add column accepted_at timestamptz;`);
    this.addSql(`alter table conversation_members add column added_by uuid references users (id) on delete set null;`);
    this.addSql(`update conversation_members set accepted_at = joined_at;`);

    this.addSql(`
      create table message_withheld (
        message_id uuid not null references messages (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        primary key (message_id, user_id)
      );`);

    this.addSql(`alter table envelopes drop constraint envelopes_type_check;`);
    this.addSql(`alter table envelopes add constraint envelopes_type_check check (type in (2, 3, 8));`);
    // delivered while the recipient's membership was a message request
    this.addSql(`alter table envelopes add column request boolean not null default false;`);
    // a type-8 envelope (PlaintextContent carrying a DecryptionErrorMessage) comes from the device that
    // could not decrypt, not from its message's sender
    this.addSql(`alter table envelopes add column sender_user_id uuid;`);
    this.addSql(`alter table envelopes add column sender_device_uuid uuid references devices (id) on delete cascade;`);
    this.addSql(`alter table envelopes add column sender_device_id integer;`);
    this.addSql(`alter table envelopes add constraint envelopes_sender_check check (
        (type = 8) = (sender_device_uuid is not null) and (sender_device_uuid is null) = (sender_user_id is null)
        and (sender_device_uuid is null) = (sender_device_id is null));`);

    this.addSql(`
      create table envelope_retries (
        message_id uuid not null references messages (id) on delete cascade,
        -- the device that could not decrypt: the one resend goes to it
        device uuid not null references devices (id) on delete cascade,
        created_at timestamptz not null default now(),
        primary key (message_id, device)
      );`);
    this.addSql(`create index envelope_retries_created_at_idx on envelope_retries (created_at);`);

    this.addSql(`
      create table spam_reports (
        id uuid primary key,
        reporter_user_id uuid not null references users (id) on delete cascade,
        sender_user_id uuid not null references users (id) on delete cascade,
        -- no foreign keys: a report outlives the message (expired, deleted) it names
        message_id uuid not null,
        conversation_id uuid,
        message_sent_at timestamptz,
        reported_at timestamptz not null default now(),
        unique (reporter_user_id, message_id)
      );`);
    this.addSql(`create index spam_reports_reported_at_idx on spam_reports (reported_at desc, id desc);`);
    this.addSql(`create index spam_reports_sender_idx on spam_reports (sender_user_id, reported_at desc, id desc);`);

    // server-side keys made on first use (the reporting-token key), shared by every instance
    this.addSql(`
      create table server_secrets (
        name text primary key,
        secret bytea not null check (length(secret) >= 32),
        created_at timestamptz not null default now()
      );`);
  }

  override async down(): Promise<void> {
    for (const t of ['server_secrets', 'spam_reports', 'envelope_retries', 'message_withheld', 'blocks']) this.addSql(`drop table if exists ${t};`);
    this.addSql(`alter table envelopes drop constraint envelopes_sender_check;`);
    for (const c of ['sender_device_id', 'sender_device_uuid', 'sender_user_id', 'request']) this.addSql(`alter table envelopes drop column ${c};`);
    this.addSql(`delete from envelopes where type = 8;`);
    this.addSql(`alter table envelopes drop constraint envelopes_type_check;`);
    this.addSql(`alter table envelopes add constraint envelopes_type_check check (type in (2, 3));`);
    this.addSql(`alter table conversation_members drop column added_by;`);
    this.addSql(`alter table conversation_members drop column accepted_at;`);
    this.addSql(`alter table users drop column discoverable;`);
  }
}
