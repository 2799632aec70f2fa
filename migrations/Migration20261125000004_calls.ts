import { Migration } from '@mikro-orm/migrations';

/**
 * Call history: one row per call in a conversation, one per participant (every member of the conversation
 * when the call started). Signaling payloads are never stored.
 */
export class Migration20261125000004_calls extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table calls (
        id uuid primary key,
        conversation_id uuid not null references conversations (id) on delete cascade,
        caller_user_id uuid not null references users (id) on delete cascade,
        caller_device_uuid uuid not null,
        media text not null check (media in ('AUDIO', 'VIDEO')),
        status text not null check (status in ('RINGING', 'ONGOING', 'COMPLETED', 'MISSED', 'DECLINED', 'CANCELLED')),
        started_at timestamptz not null default now(),
        answered_at timestamptz,
        ended_at timestamptz,
        check ((status in ('RINGING', 'ONGOING')) = (ended_at is null))
      );`);
    // the ring-timeout sweep reads only ringing calls, oldest first
    this.addSql(`create index calls_ringing_idx on calls (started_at) where status = 'RINGING';`);
    this.addSql(`create index calls_conversation_idx on calls (conversation_id, started_at desc);`);
    this.addSql(`
      create table call_participants (
        call_id uuid not null references calls (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        state text not null check (state in ('RINGING', 'JOINED', 'DECLINED', 'LEFT', 'MISSED')),
        -- the device that joined (the caller's device for the caller)
        -- the call's started_at, copied so a user's history is one index range scan
        started_at timestamptz not null,
        device_uuid uuid,
        joined_at timestamptz,
        left_at timestamptz,
        primary key (call_id, user_id)
      );`);
    // call history per user: newest first, keyset pagination on (started_at, call_id)
    this.addSql(`create index call_participants_user_idx on call_participants (user_id, started_at desc, call_id desc);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists call_participants;');
    this.addSql('drop table if exists calls;');
  }
}
