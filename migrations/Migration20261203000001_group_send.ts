import { Migration } from '@mikro-orm/migrations';

/**
 * Multi-recipient sends (sendGroupMessage): the shared ciphertext of a message (a SenderKeyMessage, type 7)
 * is stored ONCE in `message_payloads`, and each recipient device's queue gets an envelope of type 7 with no
 * ciphertext of its own, only an optional small per-device header (a pairwise-encrypted
 * SenderKeyDistributionMessage, type 2 or 3). `remaining` counts the message's queued envelopes: the
 * acknowledgement that takes it to zero deletes the payload; the sweeper deletes payloads that no envelope
 * needs any more (envelopes dropped by other paths: retention, device removal, message requests).
 */
export class Migration20261203000001_group_send extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table message_payloads (
        message_id uuid primary key references messages (id) on delete cascade,
        type smallint not null check (type = 7),
        ciphertext bytea not null,
        remaining integer not null check (remaining >= 0),
        created_at timestamptz not null default now()
      );`);
    this.addSql(`alter table envelopes alter column ciphertext drop not null;`);
    this.addSql(`alter table envelopes add column header_type smallint;`);
    this.addSql(`alter table envelopes add column header bytea;`);
    this.addSql(`alter table envelopes drop constraint envelopes_type_check;`);
    this.addSql(`alter table envelopes add constraint envelopes_type_check check (type in (2, 3, 7, 8));`);
    // a type-7 envelope carries no ciphertext (it is the message's payload), every other type its own;
    // only a type-7 envelope has a header, of type 2 or 3, and both header columns go together
    this.addSql(`alter table envelopes add constraint envelopes_payload_check check (
      (type = 7) = (ciphertext is null)
      and (header is null or type = 7)
      and ((header is null) = (header_type is null))
      and (header_type is null or header_type in (2, 3)));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from envelopes where type = 7;`);
    this.addSql(`alter table envelopes drop constraint envelopes_payload_check;`);
    this.addSql(`alter table envelopes drop constraint envelopes_type_check;`);
    this.addSql(`alter table envelopes add constraint envelopes_type_check check (type in (2, 3, 8));`);
    this.addSql(`alter table envelopes drop column header;`);
    this.addSql(`alter table envelopes drop column header_type;`);
    this.addSql(`alter table envelopes alter column ciphertext set not null;`);
    this.addSql(`drop table if exists message_payloads;`);
  }
}
