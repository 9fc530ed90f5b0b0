import { cbError } from '../errors/index.js';
import { requireRedisUrl } from '../redis/index.js';
import { MemoryCacheStore } from './memory-cache-store.js';
import { RedisCacheStore } from './redis-cache-store.js';
import { ScopedCache } from './scoped-cache.js';
import type { CacheOptions, KeyValueCache } from './types.js';

/**
 * Builds the key/value cache named by `options.type` (`memory`/`local` or `redis`). The result is the
 * root view of the main app (or `options.app`); call connect() before use and close() at shutdown.
 */
export function resolveKeyValueCache(options: CacheOptions): KeyValueCache {
  const common = { app: options.app, prefix: options.prefix, defaultTtlMs: options.defaultTtlMs };
  switch (options?.type) {
    case 'memory':
    case 'local':
      return ScopedCache.create(new MemoryCacheStore({ maxEntries: options.maxEntries }), common);
    case 'redis':
      return ScopedCache.create(
        new RedisCacheStore({ url: requireRedisUrl(options.url, 'The Redis cache'), redisOptions: options.redisOptions, scanCount: options.scanCount }),
        common,
      );
    default:
      throw cbError(
        'CB_ERR_CONFIG_INVALID',
        `Unknown cache store type ${JSON.stringify((options as { type?: unknown })?.type)} (expected memory, local or redis)`,
      );
  }
}
