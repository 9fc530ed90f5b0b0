import { isRedisUrl } from '../redis/index.js';
import { workerIdConfigError } from './errors.js';
import { LeaseAllocator } from './lease-allocator.js';
import { processLeaseStore } from './memory-lease-store.js';
import { RedisLeaseStore } from './redis-lease-store.js';
import type { WorkerIdAllocator, WorkerIdCommonOptions, WorkerIdOptions } from './types.js';

export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_PREFIX = 'clusterbase';

function settings(options: WorkerIdCommonOptions) {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isInteger(leaseMs) || leaseMs < 50) {
    throw workerIdConfigError(`Worker-ID leaseMs must be an integer ≥ 50 (got ${String(options.leaseMs)})`);
  }
  const renewEveryMs = options.renewEveryMs ?? Math.floor(leaseMs / 3);
  if (!Number.isInteger(renewEveryMs) || renewEveryMs < 1 || renewEveryMs >= leaseMs) {
    throw workerIdConfigError(`Worker-ID renewEveryMs must be an integer from 1 to leaseMs - 1 (got ${String(options.renewEveryMs)})`);
  }
  const acquireWaitMs = options.acquireWaitMs ?? 0;
  if (!Number.isInteger(acquireWaitMs) || acquireWaitMs < 0) {
    throw workerIdConfigError(`Worker-ID acquireWaitMs must be an integer ≥ 0 (got ${String(options.acquireWaitMs)})`);
  }
  return { leaseMs, renewEveryMs, acquireWaitMs, recover: options.recover === true };
}

/**
 * The one factory: `{ type: 'memory' | 'local' }` for a single process, `{ type: 'redis', url | client,
 * prefix }` for a cluster. Anything else is a CB_ERR_CONFIG_INVALID naming the accepted types.
 * Nothing connects until `connect()` / `acquire()`.
 */
export function resolveWorkerIdAllocator(options: WorkerIdOptions): WorkerIdAllocator {
  const type = (options as { type?: unknown } | undefined)?.type;
  switch (type) {
    case 'memory':
    case 'local': {
      const memory = options as Extract<WorkerIdOptions, { type: 'memory' | 'local' }>;
      return new LeaseAllocator(memory.store ?? processLeaseStore, settings(memory));
    }
    case 'redis': {
      const redis = options as Extract<WorkerIdOptions, { type: 'redis' }>;
      if (!redis.client && !redis.url) {
        throw workerIdConfigError('The redis worker-ID adapter needs a Redis URL: set WORKER_ID_REDIS_URL or REDIS_URL');
      }
      if (redis.url && !isRedisUrl(redis.url)) {
        throw workerIdConfigError('The worker-ID Redis URL must start with redis://, rediss:// or redis-sentinel://');
      }
      const prefix = redis.prefix ?? DEFAULT_PREFIX;
      if (prefix === '' || /\s/.test(prefix)) throw workerIdConfigError(`Worker-ID key prefix must be non-empty without spaces (got "${prefix}")`);
      const store = new RedisLeaseStore({ prefix, ...(redis.url ? { url: redis.url } : {}), ...(redis.client ? { client: redis.client } : {}) });
      return new LeaseAllocator(store, settings(redis));
    }
    default:
      throw workerIdConfigError(`Unknown worker-ID adapter "${String(type)}": expected memory, local or redis`);
  }
}
