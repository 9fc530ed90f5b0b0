import type { RedisOptions } from 'ioredis';
import { cbError } from '../errors/index.js';
import { redisConnectOption, requireRedisUrl } from '../redis/index.js';

export interface MoleculerCacherSettings {
  readonly type: 'memory' | 'local' | 'redis';
  /** Redis URL; required for `redis`. */
  readonly url?: string;
  /** Key prefix; Moleculer appends `-`. Default `cb-action`. */
  readonly prefix?: string;
  /** Default TTL of cached action results, in seconds (Moleculer's unit). Default: none. */
  readonly ttlSeconds?: number;
  /** Memory only: keep at most this many entries (Moleculer's MemoryLRU cacher). Default: unbounded Memory cacher. */
  readonly maxEntries?: number;
}

/** The `cacher` value of Moleculer 0.15 broker options: `{ type, options }` as its cachers/index.js resolves it. */
export interface MoleculerCacherOptions {
  readonly type: 'Memory' | 'MemoryLRU' | 'Redis';
  readonly options: {
    readonly prefix: string;
    readonly ttl?: number;
    readonly max?: number;
    /** For the Redis cacher: handed to `new Redis(…)` by Moleculer (a URL string works). */
    readonly redis?: string | RedisOptions;
  };
}

/**
 * Moleculer's action cacher from the same settings as the key/value cache (CACHE_DEFAULT_STORE,
 * CACHE_REDIS_URL). Moleculer loads ioredis itself for the Redis cacher.
 */
export function moleculerCacherOptions(settings: MoleculerCacherSettings): MoleculerCacherOptions {
  const prefix = settings.prefix ?? 'cb-action';
  const ttl = settings.ttlSeconds;
  if (ttl !== undefined && (!Number.isFinite(ttl) || ttl <= 0)) {
    throw cbError('CB_ERR_CONFIG_INVALID', `Cacher ttlSeconds must be a positive number, got ${String(ttl)}`);
  }
  const withTtl = ttl === undefined ? { prefix } : { prefix, ttl };
  switch (settings?.type) {
    case 'memory':
    case 'local':
      if (settings.maxEntries !== undefined) {
        if (!Number.isInteger(settings.maxEntries) || settings.maxEntries < 1) {
          throw cbError('CB_ERR_CONFIG_INVALID', `Cacher maxEntries must be an integer >= 1, got ${String(settings.maxEntries)}`);
        }
        return { type: 'MemoryLRU', options: { ...withTtl, max: settings.maxEntries } };
      }
      return { type: 'Memory', options: withTtl };
    case 'redis':
      return { type: 'Redis', options: { ...withTtl, redis: redisConnectOption(requireRedisUrl(settings.url, 'The Redis cacher')) } };
    default:
      throw cbError(
        'CB_ERR_CONFIG_INVALID',
        `Unknown cacher type ${JSON.stringify((settings as { type?: unknown })?.type)} (expected memory, local or redis)`,
      );
  }
}
