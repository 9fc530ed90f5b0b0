import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import {
  RedisLeaseStore,
  WorkerIdStoreError,
  resolveWorkerIdAllocator,
  type LeaseLostEvent,
  type WorkerIdAllocator,
} from '../../index.js';
import { TcpProxy } from '../tcp-proxy.js';
import { LEASE_MS, workerIdAllocatorContract } from '../worker-id-allocator.contract.js';

const url = SERVICES.redis.url;
let admin: Redis;

beforeAll(async () => {
  await requireServices('redis');
  admin = new Redis(url);
});

afterAll(async () => {
  await admin.quit();
});

async function removeKeys(prefix: string): Promise<void> {
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
}

workerIdAllocatorContract('redis', {
  async namespace() {
    const prefix = `test-${randomUUID()}`;
    const store = new RedisLeaseStore({ url, prefix });
    return {
      store,
      create: (options = {}) => resolveWorkerIdAllocator({ type: 'redis', url, prefix, ...options }),
      cleanup: async () => {
        await store.close();
        await removeKeys(prefix);
      },
    };
  },
});

describe('Redis worker-ID allocator', () => {
  const prefix = `test-${randomUUID()}`;
  const opened: WorkerIdAllocator[] = [];
  const proxies: TcpProxy[] = [];

  const allocator = (options: { url?: string } = {}): WorkerIdAllocator => {
    const a = resolveWorkerIdAllocator({ type: 'redis', url, prefix, leaseMs: LEASE_MS, ...options });
    opened.push(a);
    return a;
  };

  afterAll(async () => {
    await Promise.all(opened.map((a) => a.close()));
    await Promise.all(proxies.map((p) => p.cut()));
    await removeKeys(prefix);
  });

  it('keeps a lease in <prefix>:worker-id:<n> for two lease periods, and a release as a tombstone for one', async () => {
    const a = allocator();
    const id = await a.acquire();
    const key = `${prefix}:worker-id:${id}`;
    expect(await admin.get(key)).toMatch(/^held:\d{13}:[0-9a-f-]{36}$/);
    const heldTtl = await admin.pttl(key);
    expect(heldTtl).toBeGreaterThan(LEASE_MS);
    expect(heldTtl).toBeLessThanOrEqual(2 * LEASE_MS);

    await a.release();
    expect(await admin.get(key)).toMatch(/^released:\d{13}$/);
    const tombstoneTtl = await admin.pttl(key);
    expect(tombstoneTtl).toBeGreaterThan(0);
    expect(tombstoneTtl).toBeLessThanOrEqual(LEASE_MS);
  });

  it('reports a lease taken over in Redis as lost (taken) at the next renewal and stops being healthy', async () => {
    const a = allocator();
    const id = await a.acquire();
    const event = new Promise<LeaseLostEvent>((resolve) => a.onLost(resolve));
    await admin.set(`${prefix}:worker-id:${id}`, `held:${Date.now() + 60_000}:someone-else`, 'PX', 120_000);
    expect(await event).toMatchObject({ workerId: id, reason: 'taken' });
    expect(a.healthy()).toBe(false);
    expect(a.current()).toBeNull();
    // The thief's value is left alone.
    expect(await admin.get(`${prefix}:worker-id:${id}`)).toMatch(/:someone-else$/);
  });

  it('reports a lease it cannot renew because Redis became unreachable as lost (expired) at its deadline', async () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(url).port || 6379));
    proxies.push(proxy);
    await proxy.start();
    const a = allocator({ url: proxy.url });
    const id = await a.acquire();
    const event = new Promise<LeaseLostEvent>((resolve) => a.onLost(resolve));
    await proxy.cut();
    const lost = await event;
    expect(lost).toMatchObject({ workerId: id, reason: 'expired' });
    expect(a.healthy()).toBe(false);
    expect(a.current()).toBeNull();
  });

  it('fails acquire with WorkerIdStoreError when Redis cannot be reached', async () => {
    const a = allocator({ url: 'redis://127.0.0.1:1' });
    const error = await a.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerIdStoreError);
    expect((error as WorkerIdStoreError).type).toBe('CB_ERR_WORKER_ID_STORE');
    expect((error as WorkerIdStoreError).message).toContain(`Redis prefix "${prefix}"`);
    expect(a.current()).toBeNull();
  });
});
