import type { Profile } from '../types';

/** Redis (every adapter on one server, append-only file) killed -9 twice while executions run; it comes back with its data. */
export const redisRestart: Profile = {
  name: 'redis-restart',
  summary: 'Redis killed -9 twice mid-load and restarted with its data (AOF)',
  redisPersist: true,
  async apply({ middleware, busy, log, sleep }) {
    for (let round = 1; round <= 2; round++) {
      await busy();
      log(`kill -9 redis (${round}/2)`);
      await middleware.redis.kill();
      await sleep(2000);
      await middleware.redis.start();
      log('redis is back');
      await sleep(4000);
    }
  },
};
