import { cbError } from '../errors/index.js';
import { bloomParameters, bloomPositions, checkItem } from './bloom-math.js';
import type { RedisCaller } from './redis-native-bloom-filter.js';
import type { BloomFilter, BloomParameters } from './types.js';

export interface RedisBitmapBloomOptions {
  /** Key of the bitmap (a Redis string). */
  readonly key: string;
  /** Key holding the filter's parameters as JSON, shared by every node. */
  readonly paramsKey: string;
  readonly expectedItems: number;
  readonly falsePositiveRate: number;
}

/**
 * A Bloom filter kept in a Redis bitmap, for servers without BF.* (the machine's Redis 7). The k
 * positions come from bloomPositions (SHA-256, double hashing); add is one `BITFIELD SET u1` and
 * mightContain one `BITFIELD GET u1` with k operations, each a single atomic command, no script.
 *
 * The first node to connect records m and k under `paramsKey` (SET NX); every node then uses the
 * recorded ones, so nodes configured with different sizes still agree on the bits.
 */
export class RedisBitmapBloomFilter implements BloomFilter {
  readonly kind = 'redis-bitmap' as const;
  private params: BloomParameters | undefined;

  constructor(
    private readonly redis: RedisCaller,
    private readonly options: RedisBitmapBloomOptions,
  ) {}

  get parameters(): BloomParameters | undefined {
    return this.params;
  }

  async connect(): Promise<void> {
    const wanted = bloomParameters(this.options.expectedItems, this.options.falsePositiveRate);
    await this.redis.call('SET', this.options.paramsKey, JSON.stringify(wanted), 'NX');
    const stored = parseParameters(await this.redis.call('GET', this.options.paramsKey));
    if (!stored) {
      throw cbError('CB_ERR_CONFIG_INVALID', `Bloom filter parameters under ${this.options.paramsKey} are unreadable; delete the key and its bitmap to rebuild`);
    }
    this.params = stored;
  }

  async close(): Promise<void> {}

  async add(item: string): Promise<void> {
    const args: (string | number)[] = [this.options.key];
    for (const p of bloomPositions(checkItem(item), this.required())) args.push('SET', 'u1', p, 1);
    await this.redis.call('BITFIELD', ...args);
  }

  async mightContain(item: string): Promise<boolean> {
    const args: (string | number)[] = [this.options.key];
    for (const p of bloomPositions(checkItem(item), this.required())) args.push('GET', 'u1', p);
    const bits = (await this.redis.call('BITFIELD', ...args)) as unknown[];
    return bits.every((bit) => Number(bit) === 1);
  }

  private required(): BloomParameters {
    if (!this.params) throw cbError('CB_ERR_SERVICE_UNAVAILABLE', 'The Redis Bloom filter is not connected: call connect() first');
    return this.params;
  }
}

function parseParameters(raw: unknown): BloomParameters | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const value = JSON.parse(raw) as Partial<BloomParameters>;
    if (Number.isInteger(value.bits) && Number.isInteger(value.hashes) && value.bits! > 0 && value.hashes! > 0) {
      return { bits: value.bits!, hashes: value.hashes! };
    }
  } catch {
    // fall through
  }
  return undefined;
}
