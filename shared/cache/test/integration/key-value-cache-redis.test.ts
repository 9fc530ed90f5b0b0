import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import { resolveKeyValueCache, type KeyValueCache } from '../../index.js';
import { keyValueCacheContract } from '../contract/key-value-cache.contract.js';
import { deleteKeysUnder } from './redis-cleanup.js';

const url = SERVICES.redis.url;
const prefixes: string[] = [];

beforeAll(async () => {
  await requireServices('redis');
});

afterAll(async () => {
  await deleteKeysUnder(url, prefixes);
});

keyValueCacheContract('redis', async (prefix) => {
  prefixes.push(prefix);
  const cache = resolveKeyValueCache({ type: 'redis', url, prefix });
  await cache.connect();
  return cache;
});

describe('redis key/value cache', () => {
  let prefix: string;
  let nodeA: KeyValueCache;
  let nodeB: KeyValueCache;
  let raw: Redis;

  beforeEach(async () => {
    prefix = `test-${randomUUID()}`;
    prefixes.push(prefix);
    nodeA = resolveKeyValueCache({ type: 'redis', url, prefix });
    nodeB = resolveKeyValueCache({ type: 'redis', url, prefix });
    await Promise.all([nodeA.connect(), nodeB.connect()]);
    raw = new Redis(url);
  });

  afterEach(async () => {
    await Promise.all([nodeA.close(), nodeB.close()]);
    raw.disconnect();
  });

  it('shares values between nodes on the same Redis', async () => {
    await nodeA.set('k', { from: 'a' });
    expect(await nodeB.get('k')).toEqual({ from: 'a' });
    await nodeB.del('k');
    expect(await nodeA.get('k')).toBeUndefined();
  });

  it('stores JSON under <prefix>:<app>:<key> with the TTL as PX', async () => {
    await nodeA.forApp('shop').set('user:1', { n: 1 }, { ttlMs: 60_000 });
    const key = `${prefix}:shop:user:1`;
    expect(await raw.get(key)).toBe('{"n":1}');
    const pttl = await raw.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    await nodeA.set('forever', 1);
    expect(await raw.pttl(`${prefix}:main:forever`)).toBe(-1);
  });

  it('clears thousands of keys across SCAN batches', async () => {
    const small = resolveKeyValueCache({ type: 'redis', url, prefix, scanCount: 50 });
    await small.connect();
    const pipeline = raw.pipeline();
    for (let i = 0; i < 2000; i += 1) pipeline.set(`${prefix}:main:bulk:${i}`, '1');
    await pipeline.exec();
    await small.set('keep', 1);
    await small.clear('bulk:');
    const [, left] = await raw.scan('0', 'MATCH', `${prefix}:main:bulk:*`, 'COUNT', 10_000);
    expect(left).toEqual([]);
    expect(await small.get('keep')).toBe(1);
    await small.close();
  });

  it('refuses commands before connect with a clear error', async () => {
    const idle = resolveKeyValueCache({ type: 'redis', url, prefix });
    await expect(idle.get('k')).rejects.toThrow(/not connected/);
  });

  it('fails connect on an unreachable server instead of hanging', async () => {
    const down = resolveKeyValueCache({ type: 'redis', url: 'redis://127.0.0.1:1', redisOptions: { retryStrategy: () => null } });
    await expect(down.connect()).rejects.toThrow();
    await down.close();
  });
});
