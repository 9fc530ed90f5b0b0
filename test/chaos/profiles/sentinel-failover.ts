import { startSentinelRedis, type SentinelRedis } from '../middleware/redis-sentinel';
import type { Profile } from '../types';

/**
 * Every Redis adapter through Sentinel (one primary, one replica, three Sentinels); the primary is
 * killed -9 by its PID twice while executions run, the replica is promoted each time and the killed
 * server comes back as a replica of the new primary.
 */
export const sentinelFailover: Profile = {
  name: 'sentinel-failover',
  summary: 'Redis behind Sentinel: the primary killed -9 twice mid-load, the replica promoted, the old primary rejoining as a replica',
  middleware: { redis: () => startSentinelRedis({ downAfterMs: 1000 }) },
  async apply({ middleware, busy, log, sleep }) {
    const redis = middleware.redis as SentinelRedis;
    for (let round = 1; round <= 2; round++) {
      await busy();
      log(`kill -9 the Redis primary (${round}/2)`);
      const { killedPort, newPort, ms } = await redis.failover();
      log(`Sentinel promoted :${newPort} in place of :${killedPort} after ${ms} ms`);
      await sleep(3000);
      await redis.rejoin();
      log('the old primary is back as a replica');
      await sleep(2000);
    }
  },
};
