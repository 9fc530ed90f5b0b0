import { checkItem } from './bloom-math.js';
import type { BloomFilter } from './types.js';

/** The one ioredis method the Redis Bloom adapters use; a fake implements it in unit tests. */
export interface RedisCaller {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

export interface RedisNativeBloomOptions {
  /** Key of the BF.* filter. */
  readonly key: string;
  readonly expectedItems: number;
  readonly falsePositiveRate: number;
}

/**
 * Redis's own Bloom filter (BF.RESERVE / BF.ADD / BF.EXISTS: Redis 8, redis-stack). The server sizes
 * it from capacity and error rate and scales it when it fills. Uses a client it does not own.
 */
export class RedisNativeBloomFilter implements BloomFilter {
  readonly kind = 'redis-native' as const;

  constructor(
    private readonly redis: RedisCaller,
    private readonly options: RedisNativeBloomOptions,
  ) {}

  /** Reserves the filter; one that already exists (another node reserved it) is kept as it is. */
  async connect(): Promise<void> {
    try {
      await this.redis.call('BF.RESERVE', this.options.key, this.options.falsePositiveRate, this.options.expectedItems);
    } catch (err) {
      if (!/item exists/i.test(String((err as Error)?.message ?? err))) throw err;
    }
  }

  async close(): Promise<void> {}

  async add(item: string): Promise<void> {
    await this.redis.call('BF.ADD', this.options.key, checkItem(item));
  }

  async mightContain(item: string): Promise<boolean> {
    return Number(await this.redis.call('BF.EXISTS', this.options.key, checkItem(item))) === 1;
  }
}

/**
 * Does the server have BF.*? Asks BF.EXISTS on a key that is never written: an "unknown command"
 * error means no (Redis 7 without the module); any other error (NOPERM, connection) is thrown, not
 * taken for an answer.
 */
export async function probeNativeBloom(redis: RedisCaller, probeKey: string): Promise<boolean> {
  try {
    await redis.call('BF.EXISTS', probeKey, 'probe');
    return true;
  } catch (err) {
    if (/unknown command/i.test(String((err as Error)?.message ?? err))) return false;
    throw err;
  }
}
