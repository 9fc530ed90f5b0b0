import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import { RedisLockAdapter, redisFencedGet, redisFencedSet, resolveLockAdapter, type LockAdapter } from '../../index.js';
import { lockAdapterContract } from '../lock-adapter.contract.js';

const prefix = `test-${randomUUID()}`;
const url = SERVICES.redis.url;

async function deleteKeys(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

async function connected(options: { prefix?: string; client?: Redis } = {}): Promise<LockAdapter> {
  const locks = options.client
    ? resolveLockAdapter({ type: 'redis', client: options.client, prefix: options.prefix ?? prefix })
    : resolveLockAdapter({ type: 'redis', url, prefix: options.prefix ?? prefix });
  await locks.connect();
  return locks;
}

let admin: Redis;

beforeAll(async () => {
  await requireServices('redis');
  admin = new Redis(url);
});

afterAll(async () => {
  await deleteKeys(admin, `${prefix}*`);
  await admin.quit();
});

lockAdapterContract('redis', { create: () => connected() });

describe('RedisLockAdapter', () => {
  const key = (): string => `k-${randomUUID()}`;

  it('keeps fences growing when a promoted replica lost the last acquisitions (another server, an older counter)', async () => {
    const k = key();
    const locks = (await connected()) as RedisLockAdapter;
    const a = await locks.acquire(k, { ttlMs: 10_000 });
    await locks.release(k, a.token);
    // What a failover to a lagging replica looks like: the counter is behind, written by another server.
    await admin.set(locks.fenceKey(k), String(a.fence - 5));
    await admin.set(locks.epochKey(k), 'replid-of-the-dead-primary');
    const b = await locks.acquire(k, { ttlMs: 10_000 });
    expect(b.fence).toBeGreaterThan(a.fence);
    await locks.release(k, b.token);
    const c = await locks.acquire(k, { ttlMs: 10_000 });
    expect(c.fence).toBe(b.fence + 1);
    await locks.release(k, c.token);
    await locks.close();
  });

  it('keeps fences growing across adapter restarts', async () => {
    const k = key();
    const first = await connected();
    const a = await first.acquire(k, { ttlMs: 10_000 });
    await first.release(k, a.token);
    await first.close();
    const second = await connected();
    const b = await second.acquire(k, { ttlMs: 10_000 });
    expect(b.fence).toBe(a.fence + 1);
    await second.release(k, b.token);
    await second.close();
  });

  it('excludes holders across separate clients', async () => {
    const k = key();
    const [one, two] = [await connected(), await connected()];
    const held = await one.acquire(k, { ttlMs: 10_000 });
    await expect(two.acquire(k, { ttlMs: 10_000 })).rejects.toMatchObject({ type: 'CB_ERR_LOCK_TIMEOUT' });
    await expect(two.release(k, held.token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')))).resolves.toBe(false);
    const waiting = two.acquire(k, { ttlMs: 10_000, waitMs: 30_000 });
    await one.release(k, held.token);
    const next = await waiting;
    expect(next.fence).toBe(held.fence + 1);
    await two.release(k, next.token);
    await Promise.all([one.close(), two.close()]);
  });

  it('stores the token under a prefixed, hash-tagged key and the fence in a counter that never expires', async () => {
    const k = key();
    const locks = (await connected()) as RedisLockAdapter;
    const held = await locks.acquire(k, { ttlMs: 10_000 });
    expect(locks.lockKey(k)).toBe(`${prefix}:lock:{${k}}`);
    await expect(admin.get(`${prefix}:lock:{${k}}`)).resolves.toBe(held.token);
    await expect(admin.get(`${prefix}:fence:{${k}}`)).resolves.toBe(String(held.fence));
    const pttl = await admin.pttl(`${prefix}:lock:{${k}}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(10_000);
    await locks.release(k, held.token);
    await expect(admin.pttl(`${prefix}:fence:{${k}}`)).resolves.toBe(-1);
    await locks.close();
  });

  it('keeps namespaces apart', async () => {
    const k = key();
    const mine = await connected();
    const theirs = await connected({ prefix: `${prefix}-other` });
    const a = await mine.acquire(k, { ttlMs: 10_000 });
    const b = await theirs.acquire(k, { ttlMs: 10_000 });
    await expect(theirs.list(k)).resolves.toEqual([expect.objectContaining({ key: k, fence: b.fence })]);
    await mine.release(k, a.token);
    await theirs.release(k, b.token);
    await Promise.all([mine.close(), theirs.close()]);
  });

  it('reloads its scripts after the server forgot them', async () => {
    const locks = await connected();
    const k = key();
    await admin.script('FLUSH');
    const held = await locks.acquire(k, { ttlMs: 10_000 });
    await admin.script('FLUSH');
    await expect(locks.extend(k, held.token, 10_000)).resolves.toBeGreaterThan(0);
    await admin.script('FLUSH');
    await expect(locks.release(k, held.token)).resolves.toBe(true);
    await locks.close();
  });

  it('leaves a shared client open on close', async () => {
    const client = new Redis(url);
    const locks = await connected({ client });
    await locks.close();
    await expect(client.ping()).resolves.toBe('PONG');
    await client.quit();
  });

  it('reports an unreachable server as CB_ERR_SERVICE_UNAVAILABLE on connect', async () => {
    const client = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const locks = resolveLockAdapter({ type: 'redis', client, prefix });
    await expect(locks.connect()).rejects.toMatchObject({ type: 'CB_ERR_SERVICE_UNAVAILABLE', retryable: true });
    client.disconnect();
  });

  it('writes fenced data only for fences at least as high as the stored one', async () => {
    const dataKey = `${prefix}:data:${randomUUID()}`;
    await expect(redisFencedSet(admin, dataKey, 'first', 3)).resolves.toBe(true);
    await expect(redisFencedSet(admin, dataKey, 'again', 3)).resolves.toBe(true);
    await expect(redisFencedSet(admin, dataKey, 'stale', 2)).resolves.toBe(false);
    await expect(redisFencedGet(admin, dataKey)).resolves.toEqual({ value: 'again', fence: 3 });
    await expect(redisFencedSet(admin, dataKey, 'newer', 4)).resolves.toBe(true);
    await expect(redisFencedGet(admin, dataKey)).resolves.toEqual({ value: 'newer', fence: 4 });
  });
});

describe('Redis lock fences across a wipe', () => {
  it('keep growing after Redis lost its data (FLUSHALL on a private server)', async () => {
    const { startRedis } = await import('../../../../test/chaos/middleware/index.js');
    const { resolveLockAdapter } = await import('../../index.js');
    const redis = await startRedis({ persist: false });
    const lock = resolveLockAdapter({ type: 'redis', url: redis.url, prefix: 'wipe' });
    try {
      await lock.connect();
      const before = await lock.acquire('k', { ttlMs: 5000 });
      await lock.release('k', before.token);
      await redis.flushAll();
      const after = await lock.acquire('k', { ttlMs: 5000 });
      expect(after.fence).toBeGreaterThan(before.fence);
      expect(Number.isSafeInteger(after.fence)).toBe(true);
    } finally {
      await lock.close();
      await redis.destroy();
    }
  });
});
