import type { Profile } from '../types';

/**
 * Redis without persistence killed -9 twice and restarted empty: every lease, lock, queued message
 * and cache entry is gone at once (also what a failover to a replica that had not caught up does).
 */
export const redisWipe: Profile = {
  name: 'redis-wipe',
  summary: 'Redis killed -9 twice mid-load and restarted empty (no persistence)',
  redisPersist: false,
  async apply({ middleware, busy, log, sleep }) {
    for (let round = 1; round <= 2; round++) {
      await busy();
      log(`kill -9 redis, restart empty (${round}/2)`);
      await middleware.redis.kill();
      await sleep(2000);
      await middleware.redis.start();
      log('redis is back, empty');
      await sleep(8000);
    }
  },
};
