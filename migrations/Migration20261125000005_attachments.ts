import { Migration } from '@mikro-orm/migrations';

/**
 * Encrypted attachments: opaque blobs (ciphertext only; key and digest travel inside the E2EE message)
 * with their uploader, and the messages they were sent in.
 */
export class Migration20261125000005_attachments extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table attachments (
        id uuid primary key,
        uploader_user_id uuid not null references users (id) on delete cascade,
        size bigint not null check (size >= 0),
        -- SHA-256 of the stored ciphertext, as received
        digest bytea not null check (length(digest) = 32),
        created_at timestamptz not null default now(),
        -- first bound to a message; null = never attached (purged after ATTACHMENT_UNBOUND_TTL_SECONDS)
        attached_at timestamptz
      );`);
    this.addSql(`create index attachments_unbound_idx on attachments (created_at) where attached_at is null;`);
    this.addSql(`
      create table message_attachments (
        message_id uuid not null references messages (id) on delete cascade,
        attachment_id uuid not null references attachments (id) on delete cascade,
        primary key (message_id, attachment_id)
      );`);
    this.addSql(`create index message_attachments_attachment_idx on message_attachments (attachment_id, message_id);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists message_attachments;');
    this.addSql('drop table if exists attachments;');
  }
}
