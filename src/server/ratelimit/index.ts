export { type Budget, budget, RateLimiter } from './rate-limiter.js';
export { RateLimitBucket } from './rate-limit.entity.js';
