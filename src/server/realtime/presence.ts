/**
 * Presence: a user is online while at least one of their devices holds a live graphql-ws connection on any
 * instance; when the last one closes, the device's last_seen_at is written and the user is offline.
 *
 * One instance: counts in memory. With Redis: each instance keeps the set of users it holds connections for
 * under `presence:i:<instanceId>` and heartbeats itself in the sorted set `presence:instances`; a user is
 * online if any live instance (heartbeat within PRESENCE_INSTANCE_TTL_MS) has them. A crashed instance's
 * users turn offline once its heartbeat lapses.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';
import type { EventBus } from './pubsub.js';

const HEARTBEAT_MS = 5_000;
const PRESENCE_INSTANCE_TTL_MS = 15_000;
const INSTANCES_KEY = 'presence:instances';

export interface PresenceState {
  userId: string;
  online: boolean;
  lastSeenAt: Date | null;
}

export class PresenceService {
  readonly instanceId = randomUUID();
  private readonly local = new Map<string, number>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly knex: Knex,
    private readonly bus: EventBus,
  ) {}

  private get redis() {
    return this.bus.redis;
  }

  private get instanceKey() {
    return `presence:i:${this.instanceId}`;
  }

  async start(): Promise<void> {
    if (!this.redis) return;
    const beat = async () => {
      try {
        const r = this.redis!;
        await r
          .multi()
          .zadd(INSTANCES_KEY, Date.now(), this.instanceId)
          .zremrangebyscore(INSTANCES_KEY, 0, Date.now() - 10 * PRESENCE_INSTANCE_TTL_MS)
          .pexpire(this.instanceKey, PRESENCE_INSTANCE_TTL_MS * 2)
          .exec();
      } catch {
        // Redis unavailable: presence degrades to this instance's view until it returns
      }
    };
    await beat();
    this.heartbeat = setInterval(beat, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.redis) {
      const users = [...this.local.keys()];
      try {
        await this.redis.multi().zrem(INSTANCES_KEY, this.instanceId).del(this.instanceKey).exec();
      } catch {
        // shutting down
      }
      for (const u of users) this.bus.publish('presenceChanged', u, { userId: u });
    }
    this.local.clear();
  }

  async connected(userId: string): Promise<void> {
    const n = (this.local.get(userId) ?? 0) + 1;
    this.local.set(userId, n);
    if (n > 1) return;
    if (this.redis) {
      await this.redis.multi().sadd(this.instanceKey, userId).pexpire(this.instanceKey, PRESENCE_INSTANCE_TTL_MS * 2).exec();
    }
    this.bus.publish('presenceChanged', userId, { userId });
  }

  async disconnected(userId: string, deviceUuid: string): Promise<void> {
    await query(this.knex, 'update devices set last_seen_at = now() where id = ?', [deviceUuid]).catch(() => undefined);
    const n = (this.local.get(userId) ?? 1) - 1;
    if (n > 0) {
      this.local.set(userId, n);
      return;
    }
    this.local.delete(userId);
    if (this.redis) await this.redis.srem(this.instanceKey, userId);
    this.bus.publish('presenceChanged', userId, { userId });
  }

  /** Online flags for the given users. */
  async online(userIds: readonly string[]): Promise<Map<string, boolean>> {
    const out = new Map(userIds.map((u) => [u, this.local.has(u)]));
    const redis = this.redis;
    if (!redis || userIds.length === 0) return out;
    const instances = await redis.zrangebyscore(INSTANCES_KEY, Date.now() - PRESENCE_INSTANCE_TTL_MS, '+inf');
    const others = instances.filter((i) => i !== this.instanceId);
    if (others.length === 0) return out;
    const pipe = redis.pipeline();
    for (const i of others) pipe.smismember(`presence:i:${i}`, ...userIds);
    const res = (await pipe.exec()) ?? [];
    for (const [err, flags] of res) {
      if (err) continue;
      (flags as number[]).forEach((f, idx) => {
        if (f) out.set(userIds[idx], true);
      });
    }
    return out;
  }

  async states(userIds: readonly string[]): Promise<PresenceState[]> {
    if (userIds.length === 0) return [];
    const [online, seen] = await Promise.all([
      this.online(userIds),
      query<{ userId: string; lastSeenAt: Date | null }>(
        this.knex,
        `select u.id as "userId", max(d.last_seen_at) as "lastSeenAt"
           from users u left join devices d on d.user_id = u.id
          where u.id = any(?::uuid[]) group by u.id`,
        [userIds],
      ),
    ]);
    const lastSeen = new Map(seen.map((r) => [r.userId, r.lastSeenAt]));
    return userIds.filter((u) => lastSeen.has(u)).map((u) => ({ userId: u, online: online.get(u) ?? false, lastSeenAt: lastSeen.get(u) ?? null }));
  }
}
