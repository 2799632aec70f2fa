import { Migration } from '@mikro-orm/migrations';

/**
 * Push targets: one per (device, kind), deleted with the device. The checks keep each kind's shape (see
 * src/server/push/push-target.entity.ts); the unique index on (device, kind) also serves lookups by device.
 */
export class Migration20261201000001_push_targets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table push_targets (
        id uuid primary key,
        device uuid not null references devices (id) on delete cascade,
        kind text not null check (kind in ('WEB_PUSH', 'UNIFIED_PUSH', 'FCM', 'APNS')),
        endpoint text check (length(endpoint) <= 2048),
        -- RFC 8291: uncompressed P-256 point and 16-byte authentication secret
        p256dh bytea check (length(p256dh) = 65),
        auth bytea check (length(auth) = 16),
        token text check (length(token) <= 4096),
        topic text check (length(topic) <= 255),
        environment text check (environment in ('sandbox', 'production')),
        include_envelope_id boolean not null default false,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint push_targets_device_kind_key unique (device, kind),
        constraint push_targets_shape_check check (case kind
          when 'WEB_PUSH' then endpoint is not null and p256dh is not null and auth is not null
            and token is null and topic is null and environment is null
          when 'UNIFIED_PUSH' then endpoint is not null and (p256dh is null) = (auth is null)
            and token is null and topic is null and environment is null
          when 'FCM' then token is not null
            and endpoint is null and p256dh is null and auth is null and topic is null and environment is null
          when 'APNS' then token is not null and topic is not null and environment is not null
            and endpoint is null and p256dh is null and auth is null
        end)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists push_targets;');
  }
}
