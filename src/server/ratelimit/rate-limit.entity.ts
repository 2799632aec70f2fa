/** Token buckets of the rate limiter (table created by migrations/Migration20261125000002_keys.ts). */
import { defineEntity, p } from '@mikro-orm/core';

export const RateLimitBucket = defineEntity({
  name: 'RateLimitBucket',
  tableName: 'rate_limits',
  properties: {
    key: p.text().primary(),
    tokens: p.double(),
    updatedAt: p.datetime(),
    /** When the bucket is full again; rows past it are equivalent to no row and get purged. */
    fullAt: p.datetime(),
  },
});
