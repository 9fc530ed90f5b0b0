import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import { moleculerCacherOptions } from '../../index.js';
import { deleteKeysUnder } from './redis-cleanup.js';

const url = SERVICES.redis.url;
const prefixes: string[] = [];

beforeAll(async () => {
  await requireServices('redis');
});

afterAll(async () => {
  await deleteKeysUnder(url, prefixes);
});

async function brokerWithCachedAction(cacher: ReturnType<typeof moleculerCacherOptions>) {
  let runs = 0;
  const broker = new ServiceBroker({ logger: false, cacher: cacher as never, namespace: `test-${randomUUID()}` });
  broker.createService({
    name: 'products',
    actions: {
      get: {
        cache: { keys: ['id'] },
        params: { id: 'number' },
        handler(ctx) {
          runs += 1;
          return { id: (ctx.params as { id: number }).id, runs };
        },
      },
    },
  });
  await broker.start();
  // Moleculer calls the handler uncached until its Redis cacher reports "ready".
  while ((broker.cacher as unknown as { connected: boolean | null }).connected === false) await new Promise((r) => setTimeout(r, 10));
  return { broker, runs: () => runs };
}

describe('moleculerCacherOptions with a real broker', () => {
  it('caches action results in Redis under the prefix with the TTL in seconds', async () => {
    const prefix = `test-${randomUUID()}`;
    prefixes.push(prefix);
    const { broker, runs } = await brokerWithCachedAction(moleculerCacherOptions({ type: 'redis', url, prefix, ttlSeconds: 30 }));
    const raw = new Redis(url);
    try {
      expect(await broker.call('products.get', { id: 7 })).toEqual({ id: 7, runs: 1 });
      expect(await broker.call('products.get', { id: 7 })).toEqual({ id: 7, runs: 1 });
      expect(runs()).toBe(1);
      // SCAN may need several rounds on a busy Redis: follow the cursor to the end.
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await raw.scan(cursor, 'MATCH', `${prefix}-*`, 'COUNT', 1000);
        keys.push(...found);
        cursor = next;
      } while (cursor !== '0');
      expect(keys).toEqual([`${prefix}-products.get:7`]);
      const ttl = await raw.ttl(keys[0]);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30);
    } finally {
      raw.disconnect();
      await broker.stop();
    }
  });

  it('caches action results in memory', async () => {
    const { broker, runs } = await brokerWithCachedAction(moleculerCacherOptions({ type: 'memory', maxEntries: 10 }));
    try {
      await broker.call('products.get', { id: 1 });
      await broker.call('products.get', { id: 1 });
      await broker.call('products.get', { id: 2 });
      expect(runs()).toBe(2);
    } finally {
      await broker.stop();
    }
  });
});
