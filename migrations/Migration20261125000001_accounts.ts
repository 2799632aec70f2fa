import { Migration } from '@mikro-orm/migrations';

/** Users, their devices (identity keys stay with the device), and one-time device link codes. */
export class Migration20261125000001_accounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table users (
        id uuid primary key,
        username text not null,
        display_name text not null,
        avatar_url text,
        external_subject text,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create unique index users_username_lower_key on users (lower(username));`);
    this.addSql(`create unique index users_external_subject_key on users (external_subject) where external_subject is not null;`);
    this.addSql(`create index users_display_name_lower_idx on users (lower(display_name) text_pattern_ops);`);
    this.addSql(`
      create table devices (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        device_id integer not null check (device_id between 1 and 127),
        name text not null,
        registration_id integer not null check (registration_id between 1 and 16380),
        identity_key bytea not null check (length(identity_key) = 33),
        secret_hash text not null,
        created_at timestamptz not null default now(),
        last_seen_at timestamptz not null default now(),
        unique (user_id, device_id)
      );`);
    this.addSql(`
      create table device_link_codes (
        code_hash bytea primary key,
        user_id uuid not null references users (id) on delete cascade,
        created_by uuid not null references devices (id) on delete cascade,
        expires_at timestamptz not null
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists device_link_codes;');
    this.addSql('drop table if exists devices;');
    this.addSql('drop table if exists users;');
  }
}
