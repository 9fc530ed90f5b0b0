import { randomBytes } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import { loadConfig } from '../../../shared/config';
import { freePort } from '../../../shared/db';
import { createBrokerOptions, nodeState, withClusterLock, type ServiceEntry } from '../../../shared/runtime';
import LockService = require('../../../services/lock.service');
import WorkerIdService = require('../../../services/worker-id.service');
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { requireServices, SERVICES } from '../../support/services';

/** A node whose every adapter is the Redis one, as a cluster runs it. */
describe('a node with the Redis cluster adapters', () => {
  const schema = uniqueSchema('cm');
  const namespace = `t${randomBytes(4).toString('hex')}`;
  let broker: ServiceBroker;
  let metricsUrl: string;

  beforeAll(async () => {
    await requireServices('postgres', 'redis');
    const config = loadConfig({
      DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: schema,
      NAMESPACE: namespace,
      APP_PORT: String(await freePort()),
      HEALTH_PORT: String(await freePort()),
      APP_HOST: '127.0.0.1',
      REDIS_URL: SERVICES.redis.url,
      CACHE_DEFAULT_STORE: 'redis',
      PUBSUB_ADAPTER: 'redis',
      QUEUE_ADAPTER: 'redis',
      LOCK_ADAPTER_DEFAULT: 'redis',
      WORKER_ID_ADAPTER: 'redis',
      WORKER_ID_LEASE: '2',
    });
    const { brokerOptions } = createBrokerOptions(config, { catalogue: (): ServiceEntry[] => [] });
    broker = new ServiceBroker({ ...brokerOptions, logger: false });
    broker.createService(LockService);
    broker.createService(WorkerIdService);
    await broker.start();
    metricsUrl = `http://127.0.0.1:${config.health.port}/metrics`;
  });

  afterAll(async () => {
    const queue = broker && (nodeState(broker).started ? nodeState(broker).services().cluster.queue : null);
    await queue?.deleteChannel('metrics-probe').catch(() => undefined);
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('the lock service grants a key once, with fences that grow, per app', async () => {
    const first = (await broker.call('lock.acquire', { key: 'orders', ttl: 5000 })) as { token: string; fence: number };
    await expect(broker.call('lock.acquire', { key: 'orders', ttl: 5000, waitMs: 50 })).rejects.toMatchObject({ type: 'CB_ERR_LOCK_TIMEOUT', retryable: true });
    // Another app's lock of the same name is another lock.
    await expect(broker.call('lock.acquire', { key: 'orders', ttl: 5000 }, { meta: { app: 'shop' } })).resolves.toMatchObject({ fence: expect.any(Number) });

    const listed = (await broker.call('lock.list', {})) as Array<{ key: string; fence: number }>;
    expect(listed).toEqual([expect.objectContaining({ key: 'orders', fence: first.fence })]);
    expect(JSON.stringify(listed)).not.toContain(first.token);

    await expect(broker.call('lock.release', { key: 'orders', token: 'not-mine' })).resolves.toEqual({ released: false });
    await expect(broker.call('lock.release', { key: 'orders', token: first.token })).resolves.toEqual({ released: true });
    const second = (await broker.call('lock.acquire', { key: 'orders', ttl: 5000 })) as { fence: number };
    expect(second.fence).toBeGreaterThan(first.fence);
  });

  test('bad lock parameters are validation errors', async () => {
    await expect(broker.call('lock.acquire', { key: '', ttl: 5000 })).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(broker.call('lock.acquire', { key: 'k', ttl: -1 })).rejects.toMatchObject({ name: 'ValidationError' });
  });

  test('withClusterLock runs the work under the lock and hands it the fence', async () => {
    const ctx = broker.ContextFactory.create(broker, null as never, {}, { meta: { app: 'main' } });
    const fence = await withClusterLock(ctx, 'report', async (_signal, fence) => fence, { ttlMs: 3000 });
    expect(fence).toBeGreaterThan(0);
    await expect(broker.call('lock.acquire', { key: 'report', ttl: 1000 })).resolves.toMatchObject({ fence: fence + 1 });
  });

  test('the node leases a worker ID and issues snowflake IDs from it', async () => {
    const current = (await broker.call('worker-id.current')) as { workerId: number; healthy: boolean; adapter: string };
    expect(current).toMatchObject({ healthy: true, adapter: 'redis' });
    const ids = (await broker.call('worker-id.nextIds', { count: 1000 })) as number[];
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  test('queue depth, in-flight and dead-letter counts are on /metrics per channel', async () => {
    const queue = nodeState(broker).services().cluster.queue;
    await queue.publish('metrics-probe', { n: 1 });
    await queue.publish('metrics-probe', { n: 2 });
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toMatch(/cb_queue_waiting\{[^}]*channel="metrics-probe"\} 2/);
    expect(text).toMatch(/cb_queue_in_flight\{[^}]*channel="metrics-probe"\} 0/);
    expect(text).toMatch(/cb_queue_dead_lettered\{[^}]*channel="metrics-probe"\} 0/);
  });

  test('readiness reports the worker-ID lease and no conflict', async () => {
    const port = new URL(metricsUrl).port;
    const report = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { ready: boolean; checks: Record<string, { ok: boolean }> };
    expect(report.ready).toBe(true);
    expect(report.checks['worker-id']!.ok).toBe(true);
    expect(report.checks.adapters!.ok).toBe(true);
    expect(report.checks.redis!.ok).toBe(true);
  });
});
