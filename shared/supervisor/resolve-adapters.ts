import type { Config } from '../config/index.js';
import { MemoryCommandBus } from './memory-command-bus.js';
import { MemoryRegistryCache } from './memory-registry-cache.js';
import { RedisCommandBus } from './redis-command-bus.js';
import { RedisRegistryCache } from './redis-registry-cache.js';
import type { CommandBus, RegistryCache } from './types.js';
import type { Logger } from '../errors/index.js';

type Log = Pick<Logger, 'warn' | 'error'>;

/** Redis keys of the multi-app cluster, per namespace: `cb:<namespace>:apps:`. */
export function keyPrefix(config: Config): string {
  return `cb:${config.namespace || 'default'}:apps:`;
}

/** The registry cache APP_* variables choose: Redis when the mode has remote environments. */
export async function resolveRegistryCache(config: Config): Promise<RegistryCache> {
  if (!config.apps.redisUrl) return new MemoryRegistryCache();
  const cache = new RedisRegistryCache(config.apps.redisUrl, keyPrefix(config));
  await cache.connect();
  return cache;
}

/** The command bus APP_COMMAND_ADAPTER chooses. */
export async function resolveCommandBus(config: Config, log: Log): Promise<CommandBus> {
  if (config.apps.command.type !== 'redis') return new MemoryCommandBus();
  const bus = new RedisCommandBus(config.apps.command.url!, keyPrefix(config), log);
  await bus.connect();
  return bus;
}
