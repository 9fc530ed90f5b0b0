import type { Redis, RedisOptions } from 'ioredis';
import { cbError } from '../errors/index.js';
import { createRedisClient } from '../redis/index.js';
import { RedisBitmapBloomFilter } from './redis-bitmap-bloom-filter.js';
import { probeNativeBloom, RedisNativeBloomFilter, type RedisCaller } from './redis-native-bloom-filter.js';
import type { BloomFilter, BloomFilterKind } from './types.js';

export interface RedisBloomFilterOptions {
  readonly mode: 'auto' | 'native' | 'bitmap';
  readonly url: string;
  readonly redisOptions?: RedisOptions;
  /** `<prefix>:<app>:<name>`; the native filter lives under `<base>:bf`, the bitmap under `<base>:bits`. */
  readonly baseKey: string;
  readonly expectedItems: number;
  readonly falsePositiveRate: number;
}

/**
 * The Redis Bloom filter that owns its connection. In `auto` mode connect() asks the server whether
 * it has BF.* and picks the native filter or the bitmap one; `kind` tells which afterwards.
 * Native and bitmap filters use different keys, so a server upgrade starts a new, empty filter
 * instead of failing on a key of the other type.
 */
export class RedisBloomFilter implements BloomFilter {
  private client: Redis | undefined;
  private inner: (BloomFilter & { readonly kind: BloomFilterKind }) | undefined;
  private connecting: Promise<void> | undefined;

  constructor(private readonly options: RedisBloomFilterOptions) {}

  get kind(): BloomFilterKind | 'redis-auto' {
    if (this.inner) return this.inner.kind;
    if (this.options.mode === 'native') return 'redis-native';
    if (this.options.mode === 'bitmap') return 'redis-bitmap';
    return 'redis-auto';
  }

  connect(): Promise<void> {
    this.connecting ??= this.open().catch((err: unknown) => {
      this.connecting = undefined;
      this.client?.disconnect();
      this.client = undefined;
      throw err;
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.inner = undefined;
    this.connecting = undefined;
    if (client) await client.quit().catch(() => client.disconnect());
  }

  add(item: string): Promise<void> {
    return this.required().add(item);
  }

  mightContain(item: string): Promise<boolean> {
    return this.required().mightContain(item);
  }

  private async open(): Promise<void> {
    const client = createRedisClient(this.options.url, { user: 'The Redis Bloom filter', connectionName: 'cb-bloom', ...this.options.redisOptions });
    client.on('error', () => {});
    this.client = client;
    await client.connect();
    const caller = client as unknown as RedisCaller;
    const { baseKey, expectedItems, falsePositiveRate } = this.options;
    const native =
      this.options.mode === 'native' || (this.options.mode === 'auto' && (await probeNativeBloom(caller, `${baseKey}:probe`)));
    const inner = native
      ? new RedisNativeBloomFilter(caller, { key: `${baseKey}:bf`, expectedItems, falsePositiveRate })
      : new RedisBitmapBloomFilter(caller, { key: `${baseKey}:bits`, paramsKey: `${baseKey}:params`, expectedItems, falsePositiveRate });
    await inner.connect();
    this.inner = inner;
  }

  private required(): BloomFilter {
    if (!this.inner) throw cbError('CB_ERR_SERVICE_UNAVAILABLE', 'The Redis Bloom filter is not connected: call connect() first');
    return this.inner;
  }
}
