import type { Redis, RedisOptions } from 'ioredis';
import { cbError } from '../errors/index.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';
import type { RedisTarget, SentinelRedisTarget } from './types.js';

/** shared/config has validated the variables already; this catches URLs given in code. */
function target(url: string): RedisTarget {
  try {
    return parseRedisUrl(url);
  } catch (err) {
    throw cbError('CB_ERR_CONFIG_INVALID', `The Redis URL ${redactRedisUrl(url)} ${(err as Error).message}`);
  }
}

type RedisConstructor = {
  new (url: string, options: RedisOptions): Redis;
  new (options: RedisOptions): Redis;
};

function loadIoredis(user: string): RedisConstructor {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ioredis is optional: loaded only when a Redis adapter is chosen
    return (require('ioredis') as { Redis: RedisConstructor }).Redis;
  } catch (err) {
    throw cbError('CB_ERR_CONFIG_INVALID', `${user} needs the "ioredis" package: npm i -E ioredis@5 (${String(err)})`);
  }
}

/**
 * After a failover a client may still be connected to the old master, now a replica that answers
 * writes with READONLY: reconnect (Sentinel then names the new master) and resend the command.
 */
function reconnectOnReadonly(err: Error): 2 | false {
  return err.message.startsWith('READONLY') ? 2 : false;
}

function sentinelOptions(target: SentinelRedisTarget): RedisOptions {
  return {
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.masterName,
    db: target.db,
    ...(target.password ? { password: target.password } : {}),
    ...(target.username ? { username: target.username } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
  };
}

/**
 * What to hand a library that builds its own ioredis client (Moleculer's Redis cacher): the URL itself
 * for one server, the Sentinel options otherwise, with the same failover behaviour as our clients.
 */
export function redisConnectOption(url: string): string | RedisOptions {
  const parsed = target(url);
  return parsed.kind === 'standalone' ? url : { ...sentinelOptions(parsed), reconnectOnError: reconnectOnReadonly };
}

export interface CreateRedisClientOptions extends RedisOptions {
  /** Who needs the client, for the message when ioredis is missing ("The Redis cache adapter"). */
  readonly user?: string;
}

/**
 * The one way clusterbase opens a Redis connection. Loads ioredis only now, so in-process adapters work
 * without it; the client connects in `connect()`, not on construction. `url` is a `redis://` /
 * `rediss://` URL or `redis-sentinel://[:password@]h1:26379,h2:26379/<db>#<master>`, in which case
 * ioredis asks the Sentinels for the current master on every (re)connect and checks its role.
 */
export function createRedisClient(url: string, options: CreateRedisClientOptions = {}): Redis {
  const { user = 'A Redis adapter', ...redisOptions } = options;
  const parsed = target(url);
  const Redis = loadIoredis(user);
  const common: RedisOptions = { lazyConnect: true, reconnectOnError: reconnectOnReadonly, ...redisOptions };
  const client = parsed.kind === 'standalone' ? new Redis(url, common) : new Redis({ ...sentinelOptions(parsed), ...common });
  // Connection errors surface through the commands that fail (and the owners' own listeners, which log
  // them); without a listener ioredis prints every reconnect attempt as an "Unhandled error event",
  // through Sentinel once per unreachable round ("All sentinels are unreachable").
  client.on('error', () => undefined);
  return client;
}
