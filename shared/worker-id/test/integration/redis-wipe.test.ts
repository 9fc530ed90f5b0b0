import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { startRedis } from '../../../../test/chaos/middleware/index.js';
import { resolveWorkerIdAllocator, type LeaseLostEvent, type WorkerIdAllocator } from '../../index.js';
import { LEASE_MS } from '../worker-id-allocator.contract.js';
import { workerIdRecoveryContract } from '../worker-id-recovery.contract.js';

/**
 * The recovery contract on a private redis-server (never the shared one: FLUSHALL and kill -9 are
 * the faults), plus the outage cases only a real server has.
 */
let redis: Awaited<ReturnType<typeof startRedis>>;

beforeAll(async () => {
  redis = await startRedis({ persist: false });
});

afterAll(async () => {
  await redis?.destroy();
});

workerIdRecoveryContract('redis (FLUSHALL on a private server)', async () => {
  const prefix = `test-${randomUUID()}`;
  return {
    create: (options = {}) => resolveWorkerIdAllocator({ type: 'redis', url: redis.url, prefix, ...options }),
    wipe: () => redis.flushAll(),
    cleanup: async () => undefined,
  };
});

describe('Redis worker-ID allocator across a Redis crash', () => {
  const opened: WorkerIdAllocator[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((a) => a.close()));
  });

  it('loses its lease while Redis is down past the deadline and leases again by itself once Redis is back empty', async () => {
    const a = resolveWorkerIdAllocator({ type: 'redis', url: redis.url, prefix: `test-${randomUUID()}`, leaseMs: LEASE_MS, recover: true });
    opened.push(a);
    await a.acquire();
    const lost: LeaseLostEvent[] = [];
    a.onLost((e) => lost.push(e));
    await redis.kill();
    while (lost.length === 0) await delay(20);
    expect(lost[0]!.reason).toBe('expired');
    expect(a.healthy()).toBe(false);
    await delay(LEASE_MS);
    await redis.start();
    while (!a.healthy()) await delay(20);
    expect(a.current()).not.toBeNull();
  });
});
