import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import { bloomParameters, bloomPositions, resolveBloomFilter, type BloomFilter } from '../../index.js';
import { bloomFilterContract } from '../contract/bloom-filter.contract.js';
import { deleteKeysUnder } from './redis-cleanup.js';

const url = SERVICES.redis.url;
const prefixes: string[] = [];
let raw: Redis;

beforeAll(async () => {
  await requireServices('redis');
  raw = new Redis(url);
});

afterAll(async () => {
  raw.disconnect();
  await deleteKeysUnder(url, prefixes);
});

bloomFilterContract('redis-bitmap', async ({ prefix, expectedItems, falsePositiveRate }) => {
  prefixes.push(prefix);
  const filter = resolveBloomFilter({ type: 'redis-bitmap', url, prefix, name: 'contract', expectedItems, falsePositiveRate });
  await filter.connect();
  return filter;
});

bloomFilterContract('redis (auto: bitmap on this Redis 7)', async ({ prefix, expectedItems, falsePositiveRate }) => {
  prefixes.push(prefix);
  const filter = resolveBloomFilter({ type: 'redis', url, prefix, name: 'contract', expectedItems, falsePositiveRate });
  await filter.connect();
  return filter;
});

describe('Redis Bloom filter on the machine’s Redis 7 (no BF.* commands)', () => {
  const open: BloomFilter[] = [];
  const make = async (type: 'redis' | 'redis-bitmap' | 'redis-native', prefix: string, expectedItems = 1000) => {
    const filter = resolveBloomFilter({ type, url, prefix, name: 'tokens', app: 'shop', expectedItems, falsePositiveRate: 0.01 });
    open.push(filter);
    await filter.connect();
    return filter;
  };
  let prefix: string;

  beforeEach(() => {
    prefix = `test-${randomUUID()}`;
    prefixes.push(prefix);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((f) => f.close()));
  });

  it('auto mode probes the server and picks the bitmap filter here', async () => {
    expect((await raw.call('COMMAND', 'INFO', 'BF.ADD')) as unknown[]).toEqual([null]);
    const filter = await make('redis', prefix);
    expect(filter.kind).toBe('redis-bitmap');
  });

  it('a forced native filter fails at connect, naming the missing command', async () => {
    await expect(make('redis-native', prefix)).rejects.toThrow(/unknown command 'BF.RESERVE'/i);
  });

  it('keeps the bits in one Redis string, set exactly where bloomPositions says', async () => {
    const filter = await make('redis-bitmap', prefix);
    await filter.add('token-1');
    const key = `${prefix}:shop:tokens:bits`;
    expect(await raw.type(key)).toBe('string');
    const params = bloomParameters(1000, 0.01);
    const positions = bloomPositions('token-1', params);
    for (const p of positions) expect(await raw.getbit(key, p)).toBe(1);
    expect(await raw.bitcount(key)).toBe(new Set(positions).size);
    expect(JSON.parse((await raw.get(`${prefix}:shop:tokens:params`))!)).toEqual(params);
  });

  it('is shared: an item added on one node is seen by another', async () => {
    const a = await make('redis', prefix);
    const b = await make('redis', prefix);
    await a.add('signed-out-token');
    expect(await b.mightContain('signed-out-token')).toBe(true);
  });

  it('a node configured with another size adopts the parameters already recorded', async () => {
    const first = await make('redis-bitmap', prefix, 1000);
    const second = (await make('redis-bitmap', prefix, 50_000)) as BloomFilter & { kind: string };
    await first.add('x');
    expect(await second.mightContain('x')).toBe(true);
  });
});
