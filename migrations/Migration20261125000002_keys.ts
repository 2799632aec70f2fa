import { Migration } from '@mikro-orm/migrations';

/**
 * The key directory: signed prekeys, one-time EC prekeys, Kyber prekeys (one-time and last-resort) per
 * device, the per-device low-stock notification state, and the shared token-bucket table of the rate
 * limiter. Every key row belongs to a device and goes with it (on delete cascade). Key ids are uint32,
 * unique per device and kind (EC signed, EC one-time, Kyber one-time + last-resort share one id space).
 * `id` (identity) records upload order: one-time keys are handed out oldest first.
 */
export class Migration20261125000002_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table signed_prekeys (
        id bigint generated always as identity primary key,
        device uuid not null references devices (id) on delete cascade,
        key_id bigint not null check (key_id between 0 and 4294967295),
        public_key bytea not null check (length(public_key) = 33),
        signature bytea not null check (length(signature) = 64),
        created_at timestamptz not null default now(),
        replaced_at timestamptz,
        unique (device, key_id)
      );`);
    this.addSql(`create unique index signed_prekeys_current_key on signed_prekeys (device) where replaced_at is null;`);
    this.addSql(`create index signed_prekeys_replaced_at_idx on signed_prekeys (replaced_at) where replaced_at is not null;`);

    this.addSql(`
      create table one_time_prekeys (
        id bigint generated always as identity primary key,
        device uuid not null references devices (id) on delete cascade,
        key_id bigint not null check (key_id between 0 and 4294967295),
        public_key bytea not null check (length(public_key) = 33),
        unique (device, key_id)
      );`);
    this.addSql(`create index one_time_prekeys_device_id_idx on one_time_prekeys (device, id);`);

    this.addSql(`
      create table kyber_prekeys (
        id bigint generated always as identity primary key,
        device uuid not null references devices (id) on delete cascade,
        key_id bigint not null check (key_id between 0 and 4294967295),
        public_key bytea not null check (length(public_key) = 1569),
        signature bytea not null check (length(signature) = 64),
        last_resort boolean not null,
        created_at timestamptz not null default now(),
        replaced_at timestamptz,
        check (replaced_at is null or last_resort),
        unique (device, key_id)
      );`);
    this.addSql(`create index kyber_prekeys_one_time_idx on kyber_prekeys (device, id) where not last_resort;`);
    this.addSql(`create unique index kyber_prekeys_last_resort_key on kyber_prekeys (device) where last_resort and replaced_at is null;`);
    this.addSql(`create index kyber_prekeys_replaced_at_idx on kyber_prekeys (replaced_at) where replaced_at is not null;`);

    // armed = the stock was at or above the threshold since the last notification: the next claim that
    // leaves it below fires preKeysLow once and disarms.
    this.addSql(`
      create table device_prekey_state (
        device uuid primary key references devices (id) on delete cascade,
        one_time_armed boolean not null default false,
        kyber_one_time_armed boolean not null default false
      );`);

    // Token buckets (src/server/ratelimit). full_at: when the bucket is full again; a row past it is
    // equivalent to no row and may be purged.
    this.addSql(`
      create table rate_limits (
        key text primary key,
        tokens double precision not null,
        updated_at timestamptz not null,
        full_at timestamptz not null
      );`);
    this.addSql(`create index rate_limits_full_at_idx on rate_limits (full_at);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists rate_limits;');
    this.addSql('drop table if exists device_prekey_state;');
    this.addSql('drop table if exists kyber_prekeys;');
    this.addSql('drop table if exists one_time_prekeys;');
    this.addSql('drop table if exists signed_prekeys;');
  }
}
