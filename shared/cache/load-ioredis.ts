import type { Redis, RedisOptions } from 'ioredis';
import { cbError } from '../errors/index.js';

type RedisConstructor = new (url: string, options: RedisOptions) => Redis;

/**
 * Loads ioredis only when a Redis adapter is chosen, so the in-process adapters work without it, and
 * opens a client that connects in `connect()`, not on construction.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  let RedisClass: RedisConstructor;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ioredis is optional: loaded only when a Redis adapter is chosen
    RedisClass = (require('ioredis') as { Redis: RedisConstructor }).Redis;
  } catch (err) {
    throw cbError('CB_ERR_CONFIG_INVALID', `The Redis cache adapter needs the "ioredis" package: npm install ioredis@5 (${String(err)})`);
  }
  return new RedisClass(url, { lazyConnect: true, ...options });
}

export function requireUrl(url: string | undefined, what: string): string {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw cbError('CB_ERR_CONFIG_INVALID', `${what} needs a redis:// or rediss:// URL`);
  }
  return url;
}
