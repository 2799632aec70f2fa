/**
 * Test servers (and benchmarks) register many users from one address: the per-address limits on anonymous credential operations
 * are lifted (the tests of those limits set their own, on addresses of their own).
 */
export const UNLIMITED_AUTH_ENV = {
  AUTH_RATE_BURST: '1000000',
  AUTH_RATE_PER_MINUTE: '1000000',
  REGISTER_RATE_BURST: '1000000',
  REGISTER_RATE_PER_HOUR: '1000000',
  TOKEN_RATE_BURST: '1000000',
  TOKEN_RATE_PER_MINUTE: '1000000',
  ANON_CONCURRENCY_PER_ADDRESS: '10000',
  HASH_QUEUE: '100000',
};
