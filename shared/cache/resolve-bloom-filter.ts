import { cbError } from '../errors/index.js';
import { bloomParameters } from './bloom-math.js';
import { requireRedisUrl } from '../redis/index.js';
import { MemoryBloomFilter } from './memory-bloom-filter.js';
import { checkAppName } from './names.js';
import { RedisBloomFilter } from './redis-bloom-filter.js';
import type { BloomFilter, BloomFilterOptions, RedisBloomOptions } from './types.js';

const MODES = { redis: 'auto', 'redis-native': 'native', 'redis-bitmap': 'bitmap' } as const;

/**
 * Builds the Bloom filter named by `options.type`: `memory`/`local` (in-process), `redis` (native BF.*
 * when the server has it, else a bitmap), or `redis-native` / `redis-bitmap` to force one.
 * Sizes are checked here, so a bad size fails at start, not at the first add.
 */
export function resolveBloomFilter(options: BloomFilterOptions): BloomFilter {
  const type = (options as { type?: unknown })?.type;
  if (type !== 'memory' && type !== 'local' && type !== 'redis' && type !== 'redis-native' && type !== 'redis-bitmap') {
    throw cbError(
      'CB_ERR_CONFIG_INVALID',
      `Unknown Bloom filter type ${JSON.stringify(type)} (expected memory, local, redis, redis-native or redis-bitmap)`,
    );
  }
  if (typeof options.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(options.name)) {
    throw cbError('CB_ERR_CONFIG_INVALID', `Invalid Bloom filter name ${JSON.stringify(options.name)}: use letters, digits, "_", "." or "-"`);
  }
  bloomParameters(options.expectedItems, options.falsePositiveRate);
  switch (options.type) {
    case 'memory':
    case 'local':
      return new MemoryBloomFilter(options);
    default:
      return redisBloomFilter(options);
  }
}

function redisBloomFilter(options: RedisBloomOptions): BloomFilter {
  const app = checkAppName(options.app ?? 'main');
  return new RedisBloomFilter({
    mode: MODES[options.type],
    url: requireRedisUrl(options.url, 'The Redis Bloom filter'),
    redisOptions: options.redisOptions,
    baseKey: `${options.prefix ?? 'cb:bloom'}:${app}:${options.name}`,
    expectedItems: options.expectedItems,
    falsePositiveRate: options.falsePositiveRate,
  });
}
