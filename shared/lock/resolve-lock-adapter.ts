import { createRedisClient, isRedisUrl } from '../redis/index.js';
import { lockConfigError } from './errors.js';
import { MemoryLockAdapter } from './memory-lock-adapter.js';
import { RedisLockAdapter } from './redis-lock-adapter.js';
import type { LockAdapter, LockAdapterConfig, RedisLockOptions } from './types.js';

function fromString(value: string): { type: string; url?: string } {
  if (isRedisUrl(value)) return { type: 'redis', url: value };
  return { type: value };
}

/**
 * Builds a lock adapter from a name (`memory`, `local`, `redis`), a `redis://` URL or full options.
 * Anything else is refused with CB_ERR_CONFIG_INVALID naming the value; a Redis adapter without a URL
 * or client too. The adapter is returned unconnected: call `connect()` (and `close()` on stop).
 */
export function resolveLockAdapter(config: LockAdapterConfig): LockAdapter {
  const options: { type: string; url?: string } & Partial<Omit<RedisLockOptions, 'type'>> =
    typeof config === 'string' ? fromString(config.trim()) : { ...config };
  switch (options.type) {
    case 'memory':
    case 'local':
      return new MemoryLockAdapter();
    case 'redis': {
      const { client, url, prefix, retryMinMs, retryMaxMs } = options;
      if (client) return new RedisLockAdapter({ client, ownsClient: false, prefix, retryMinMs, retryMaxMs });
      if (!url) throw lockConfigError('The redis lock adapter needs a URL (LOCK_ADAPTER_REDIS_URL or REDIS_URL) or a client');
      // Unconnected until connect(); the adapter owns and quits this client.
      const owned = createRedisClient(url, { user: 'The redis lock adapter', connectionName: 'cb-lock' });
      // Failures surface through the lock calls; the node logs Redis outages once (runtime/adapter-health).
      owned.on('error', () => undefined);
      return new RedisLockAdapter({ client: owned, ownsClient: true, prefix, retryMinMs, retryMaxMs });
    }
    default:
      // Strip credentials in case a URL of another scheme was passed.
      throw lockConfigError(`Unknown lock adapter "${String(options.type).replace(/\/\/[^@/]*@/, '//')}" (expected memory, local, redis or a redis:// / redis-sentinel:// URL)`);
  }
}
