import { probeNativeBloom, RedisNativeBloomFilter, RedisBitmapBloomFilter, type RedisCaller } from '../../index.js';

/**
 * The machine's Redis 7.0 has no BF.* commands, so the native adapter cannot run for real here; these
 * tests check the commands it sends against a fake that answers like RedisBloom does.
 */
class FakeRedisBloom implements RedisCaller {
  readonly calls: (string | number)[][] = [];
  private readonly filters = new Map<string, Set<string>>();

  constructor(private readonly hasModule = true) {}

  async call(command: string, ...args: (string | number)[]): Promise<unknown> {
    this.calls.push([command, ...args]);
    if (!this.hasModule && command.startsWith('BF.')) {
      throw new Error(`ERR unknown command '${command}', with args beginning with: `);
    }
    const [key, item] = args as string[];
    switch (command) {
      case 'BF.RESERVE':
        if (this.filters.has(key)) throw new Error('ERR item exists');
        this.filters.set(key, new Set());
        return 'OK';
      case 'BF.ADD': {
        const set = this.filters.get(key) ?? new Set<string>();
        this.filters.set(key, set);
        const added = !set.has(item);
        set.add(item);
        return added ? 1 : 0;
      }
      case 'BF.EXISTS':
        return this.filters.get(key)?.has(item) ? 1 : 0;
      default:
        throw new Error(`fake does not know ${command}`);
    }
  }
}

describe('RedisNativeBloomFilter (against a fake RedisBloom)', () => {
  it('reserves the filter with error rate then capacity, as BF.RESERVE takes them', async () => {
    const redis = new FakeRedisBloom();
    await new RedisNativeBloomFilter(redis, { key: 'k:bf', expectedItems: 5000, falsePositiveRate: 0.001 }).connect();
    expect(redis.calls).toEqual([['BF.RESERVE', 'k:bf', 0.001, 5000]]);
  });

  it('keeps a filter another node already reserved', async () => {
    const redis = new FakeRedisBloom();
    const options = { key: 'k:bf', expectedItems: 10, falsePositiveRate: 0.01 };
    await new RedisNativeBloomFilter(redis, options).connect();
    await expect(new RedisNativeBloomFilter(redis, options).connect()).resolves.toBeUndefined();
  });

  it('adds with BF.ADD and answers from BF.EXISTS', async () => {
    const redis = new FakeRedisBloom();
    const filter = new RedisNativeBloomFilter(redis, { key: 'k:bf', expectedItems: 10, falsePositiveRate: 0.01 });
    await filter.connect();
    await filter.add('tok');
    expect(await filter.mightContain('tok')).toBe(true);
    expect(await filter.mightContain('other')).toBe(false);
    expect(redis.calls.slice(1)).toEqual([
      ['BF.ADD', 'k:bf', 'tok'],
      ['BF.EXISTS', 'k:bf', 'tok'],
      ['BF.EXISTS', 'k:bf', 'other'],
    ]);
  });

  it('passes on errors other than "item exists" when reserving', async () => {
    const redis: RedisCaller = { call: async () => Promise.reject(new Error('NOPERM no permission')) };
    await expect(new RedisNativeBloomFilter(redis, { key: 'k', expectedItems: 10, falsePositiveRate: 0.01 }).connect()).rejects.toThrow(/NOPERM/);
  });
});

describe('probeNativeBloom', () => {
  it('answers yes when BF.EXISTS runs', async () => {
    const redis = new FakeRedisBloom(true);
    expect(await probeNativeBloom(redis, 'probe-key')).toBe(true);
    expect(redis.calls).toEqual([['BF.EXISTS', 'probe-key', 'probe']]);
  });

  it('answers no on "unknown command"', async () => {
    expect(await probeNativeBloom(new FakeRedisBloom(false), 'probe-key')).toBe(false);
  });

  it('throws any other error instead of guessing', async () => {
    const redis: RedisCaller = { call: async () => Promise.reject(new Error("NOPERM this user has no permissions to run the 'bf.exists' command")) };
    await expect(probeNativeBloom(redis, 'p')).rejects.toThrow(/NOPERM/);
  });
});

describe('RedisBitmapBloomFilter (command shape)', () => {
  it('sets and reads k bits with one BITFIELD command each', async () => {
    const calls: (string | number)[][] = [];
    const store = new Map<string, string>();
    const redis: RedisCaller = {
      async call(command, ...args) {
        calls.push([command, ...args]);
        if (command === 'SET') {
          if (!store.has(String(args[0]))) store.set(String(args[0]), String(args[1]));
          return 'OK';
        }
        if (command === 'GET') return store.get(String(args[0])) ?? null;
        if (command === 'BITFIELD') return args.filter((a) => a === 'GET' || a === 'SET').map(() => 0);
        throw new Error(command);
      },
    };
    const filter = new RedisBitmapBloomFilter(redis, { key: 'b:bits', paramsKey: 'b:params', expectedItems: 1000, falsePositiveRate: 0.01 });
    await filter.connect();
    expect(calls[0]).toEqual(['SET', 'b:params', '{"bits":9586,"hashes":7}', 'NX']);
    await filter.add('x');
    const add = calls.at(-1)!;
    expect(add.slice(0, 2)).toEqual(['BITFIELD', 'b:bits']);
    expect(add.length).toBe(2 + 7 * 4);
    expect(add.filter((a) => a === 'SET')).toHaveLength(7);
    expect(await filter.mightContain('x')).toBe(false);
    expect(calls.at(-1)!.filter((a) => a === 'GET')).toHaveLength(7);
  });
});
