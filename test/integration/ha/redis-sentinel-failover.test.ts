import { randomUUID } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import { moleculerCacherOptions, resolveBloomFilter, resolveKeyValueCache, type BloomFilter, type KeyValueCache } from '../../../shared/cache';
import { resolveLockAdapter, type LockAdapter } from '../../../shared/lock';
import { resolveQueue, type MessageQueue } from '../../../shared/queue';
import { RedisCommandBus, RedisRegistryCache, type AppRecord } from '../../../shared/supervisor';
import { resolveSyncSignal, type SyncSignal } from '../../../shared/sync';
import { resolveWorkerIdAllocator, type WorkerIdAllocator } from '../../../shared/worker-id';
import { startSentinelRedis, type SentinelRedis } from '../../chaos/middleware/redis-sentinel';

/**
 * Every Redis adapter family through one Sentinel-managed Redis (a primary, a replica, three
 * Sentinels on free ports), with load running while the primary is killed -9 by its PID. The checks
 * come after the failover: each family must keep working on the promoted replica by itself.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined, debug: () => undefined };

async function eventually<T>(what: string, run: () => Promise<T>, ms = 60_000): Promise<T> {
  const giveUpAt = Date.now() + ms;
  for (;;) {
    try {
      return await run();
    } catch (err) {
      if (Date.now() > giveUpAt) throw new Error(`${what}: ${String(err)}`, { cause: err });
      await sleep(200);
    }
  }
}

let redis: SentinelRedis;
let failover: { killedPort: number; newPort: number; ms: number };
const prefix = `test-ha-${randomUUID()}`;
const closers: (() => Promise<unknown>)[] = [];

let lock: LockAdapter;
const fences: number[] = [];
let lockErrors = 0;
let ids: [WorkerIdAllocator, WorkerIdAllocator];
const lostLeases: number[] = [];
let queue: MessageQueue;
const published = new Set<number>();
const delivered = new Map<number, number>();
let cache: KeyValueCache;
let bloom: BloomFilter;
let signalA: SyncSignal;
let signalB: SyncSignal;
const signals: string[] = [];
let broker: ServiceBroker;

beforeAll(async () => {
  redis = await startSentinelRedis({ downAfterMs: 1000 });
  const url = redis.url;

  lock = resolveLockAdapter({ type: 'redis', url, prefix });
  await lock.connect();
  closers.push(() => lock.close());

  ids = [0, 1].map(() => resolveWorkerIdAllocator({ type: 'redis', url, prefix, leaseMs: 4000, renewEveryMs: 500 })) as [WorkerIdAllocator, WorkerIdAllocator];
  for (const a of ids) {
    a.onLost((e) => lostLeases.push(e.workerId));
    await a.acquire();
    closers.push(() => a.close());
  }

  queue = resolveQueue({ type: 'redis', url, prefix, lockDurationMs: 1500, stalledIntervalMs: 300, drainDelayMs: 1000 });
  await queue.connect();
  closers.push(() => queue.close());
  await queue.subscribe<{ n: number }>('orders', async (body) => {
    delivered.set(body.n, (delivered.get(body.n) ?? 0) + 1);
  });

  cache = resolveKeyValueCache({ type: 'redis', url, prefix: `${prefix}:cache` });
  await cache.connect();
  await cache.set('before', 'kept?');
  closers.push(() => cache.close());
  bloom = resolveBloomFilter({ type: 'redis-bitmap', url, prefix, name: 'seen', expectedItems: 1000, falsePositiveRate: 0.01 });
  await bloom.connect();
  closers.push(() => bloom.close());

  signalA = resolveSyncSignal({ type: 'redis', url, prefix: `${prefix}:sync`, debounceMs: 0, logger: quiet });
  signalB = resolveSyncSignal({ type: 'redis', url, prefix: `${prefix}:sync`, debounceMs: 0, logger: quiet });
  await Promise.all([signalA.connect(), signalB.connect()]);
  await signalB.subscribe<{ text: string }>('cache', (message) => void signals.push(message.text));
  closers.push(() => signalA.close(), () => signalB.close());

  broker = new ServiceBroker({
    logger: false,
    cacher: moleculerCacherOptions({ type: 'redis', url, prefix: `${prefix}:action` }) as never,
  });
  let calls = 0;
  broker.createService({ name: 'clock', actions: { tick: { cache: { keys: ['n'] }, handler: () => ++calls } } });
  await broker.start();
  closers.push(() => broker.stop());

  // Load while the primary dies: sequential lock acquisitions and queue publications.
  let stop = false;
  const lockLoop = (async () => {
    while (!stop) {
      try {
        const handle = await lock.acquire('counter', { ttlMs: 2000, waitMs: 5000 });
        fences.push(handle.fence);
        await sleep(5);
        await lock.release('counter', handle.token).catch(() => undefined);
      } catch {
        // the primary is down: try again
        lockErrors++;
        await sleep(50);
      }
    }
  })();
  let n = 0;
  const queueLoop = (async () => {
    while (!stop) {
      const message = ++n;
      // A publication the queue did not confirm is retried, as the outbox sweep would: it is idempotent by jobId.
      for (;;) {
        try {
          await queue.publish('orders', { n: message }, { jobId: `m-${message}` });
          published.add(message);
          break;
        } catch {
          await sleep(100);
        }
      }
      await sleep(10);
    }
  })();
  await signalA.publish('cache', { text: 'before' });
  await sleep(1500);
  failover = await redis.failover();
  await sleep(3000);
  stop = true;
  await Promise.all([lockLoop, queueLoop]);
}, 300_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await redis?.destroy();
}, 120_000);

test('Sentinel promotes the replica after the primary is killed -9', () => {
  expect(failover.newPort).not.toBe(failover.killedPort);
  expect(fences.length).toBeGreaterThan(10);
  console.log(`sentinel failover: ${failover.ms} ms from kill -9 to a new primary; ${fences.length} lock acquisitions, ${lockErrors} failed during the switch; ${published.size} messages published`);
});

test('locks: acquisitions continue on the new primary and fences still grow', async () => {
  for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]!);
  // One step by the clock: the first acquisition on the promoted replica raised the counter to its time.
  const steps = fences.slice(1).map((f, i) => f - fences[i]!);
  expect(Math.max(...steps)).toBeGreaterThan(1000);
  const after = await lock.acquire('counter', { ttlMs: 2000, waitMs: 5000 });
  expect(after.fence).toBeGreaterThan(fences[fences.length - 1]!);
  await lock.release('counter', after.token);
});

test('worker-ID leases: both nodes hold distinct IDs again, by themselves', async () => {
  const held = await eventually('leases', async () => {
    const [a, b] = await Promise.all(ids.map((allocator) => allocator.acquire()));
    if (!ids.every((allocator) => allocator.healthy())) throw new Error('a lease is not healthy');
    return [a, b];
  });
  expect(held[0]).not.toBe(held[1]);
});

test('queue (BullMQ): every message published around the failover is delivered', async () => {
  await eventually('deliveries', async () => {
    const missing = [...published].filter((n) => !delivered.has(n));
    if (missing.length > 0) throw new Error(`${missing.length} of ${published.size} not delivered yet: ${missing.slice(0, 10).join(', ')}`);
  });
  const extra = [...delivered.keys()].filter((n) => !published.has(n));
  expect(extra).toEqual([]);
});

test('cache and Bloom filter: reads and writes go to the new primary', async () => {
  await eventually('cache', async () => {
    await cache.set('after', { ok: true });
    expect(await cache.get('after')).toEqual({ ok: true });
  });
  await bloom.add('order-1');
  expect(await bloom.mightContain('order-1')).toBe(true);
  // Written well before the kill, so the replica had it.
  expect(await cache.get('before')).toBe('kept?');
});

test('Moleculer’s Redis cacher answers through Sentinel', async () => {
  await eventually('cacher', async () => {
    const first = await broker.call('clock.tick', { n: 7 });
    expect(await broker.call('clock.tick', { n: 7 })).toBe(first);
  });
});

test('sync streams: a signal published after the failover reaches the other node', async () => {
  await eventually('signal', async () => {
    await signalA.publish('cache', { text: `after-${Date.now()}` });
    if (!signals.some((s) => s.startsWith('after-'))) throw new Error(`received only ${signals.join(', ')}`);
  });
  expect(signals).toContain('before');
});

test('supervisor registry cache and command bus work through the new primary', async () => {
  const log = { warn: () => undefined, error: () => undefined };
  const registry = new RedisRegistryCache(redis.url, `${prefix}:apps:`);
  const sender = new RedisCommandBus(redis.url, `${prefix}:apps:`, log);
  const server = new RedisCommandBus(redis.url, `${prefix}:apps:`, log);
  await Promise.all([registry.connect(), sender.connect(), server.connect()]);
  try {
    const app: AppRecord = {
      name: 'shop',
      displayName: 'Shop',
      database: { kind: 'schema', schema: 'app_shop' },
      environments: ['env_a'],
      desired: 'running',
      statuses: {},
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    await registry.putApp(app);
    expect(await registry.app('shop')).toEqual(app);
    const ran: string[] = [];
    const stop = await server.serve('env_a', async (command) => void ran.push(command.id));
    const id = randomUUID();
    const outcome = await sender.send('env_a', { id, type: 'stop', app: 'shop', config: app, ackBy: Date.now() + 10_000 }, { ackTimeoutMs: 10_000, timeoutMs: 10_000 });
    expect(outcome.status).toBe('succeeded');
    expect(ran).toEqual([id]);
    await stop();
  } finally {
    await Promise.all([registry.close(), sender.close(), server.close()]);
  }
});
