/**
 * Who is connected: a user is online while at least one of their devices holds a live graphql-ws connection
 * on any instance. Infrastructure only: what a user's presence shows and to whom is the accounts domain's.
 *
 * One instance: counts in memory. With Redis: each instance keeps the set of users it holds connections for
 * under `presence:i:<instanceId>` and heartbeats itself in the sorted set `presence:instances`; a user is
 * online if any live instance (heartbeat within PRESENCE_INSTANCE_TTL_MS) has them. A crashed instance's
 * users turn offline once its heartbeat lapses.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const HEARTBEAT_MS = 5_000;
export const PRESENCE_INSTANCE_TTL_MS = 15_000;
export const INSTANCES_KEY = 'presence:instances';
/** How long an instance's own sets (presence users, push streams) outlive its last refresh. */
export const INSTANCE_SET_TTL_MS = PRESENCE_INSTANCE_TTL_MS * 2;

/** The instances whose heartbeat in `presence:instances` is recent, other than `self`. */
export async function otherLiveInstances(redis: Redis, self: string, now: number = Date.now()): Promise<string[]> {
  return (await redis.zrangebyscore(INSTANCES_KEY, now - PRESENCE_INSTANCE_TTL_MS, '+inf')).filter((i) => i !== self);
}

export class PresenceTracker {
  private readonly local = new Map<string, number>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    /** Announces that a user's presence may have changed (published on the bus). */
    private readonly announce: (userId: string) => void,
    private readonly redis?: Redis,
    /** This instance's id in `presence:instances` (shared with push's device activity). */
    readonly instanceId: string = randomUUID(),
  ) {}

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
          .pexpire(this.instanceKey, INSTANCE_SET_TTL_MS)
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
      for (const u of users) this.announce(u);
    }
    this.local.clear();
  }

  async connected(userId: string): Promise<void> {
    const n = (this.local.get(userId) ?? 0) + 1;
    this.local.set(userId, n);
    if (n > 1) return;
    if (this.redis) {
      await this.redis
        .multi()
        .sadd(this.instanceKey, userId)
        .pexpire(this.instanceKey, INSTANCE_SET_TTL_MS)
        .exec()
        .catch(() => {
          // Redis unavailable (or closed while shutting down): presence degrades to this instance's view
        });
    }
    this.announce(userId);
  }

  async disconnected(userId: string): Promise<void> {
    const n = (this.local.get(userId) ?? 1) - 1;
    if (n > 0) {
      this.local.set(userId, n);
      return;
    }
    this.local.delete(userId);
    // a socket closing while the server shuts down finds Redis closed: the instance's set expires on its own
    if (this.redis) await this.redis.srem(this.instanceKey, userId).catch(() => {});
    this.announce(userId);
  }

  /** Online flags for the given users. */
  async online(userIds: readonly string[]): Promise<Map<string, boolean>> {
    const out = new Map(userIds.map((u) => [u, this.local.has(u)]));
    const redis = this.redis;
    if (!redis || userIds.length === 0) return out;
    const others = await otherLiveInstances(redis, this.instanceId);
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
}
