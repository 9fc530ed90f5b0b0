import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import { LockWorker, requireCompiledLock, type Reply } from '../lock-worker-process.js';

const prefix = `test-${randomUUID()}`;
const PROCESSES = 3;
const CONTENDERS = 50;
const ROUNDS = 4;

/** 50 contenders spread over the processes: 17, 17, 16. */
const share = (i: number): number => Math.floor(CONTENDERS / PROCESSES) + (i < CONTENDERS % PROCESSES ? 1 : 0);

describe('a counter in Redis guarded by the lock, across 3 processes', () => {
  let admin: Redis;
  let workers: LockWorker[] = [];

  beforeAll(async () => {
    await requireServices('redis');
    requireCompiledLock();
    admin = new Redis(SERVICES.redis.url);
    workers = Array.from({ length: PROCESSES }, () => new LockWorker({ REDIS_URL: SERVICES.redis.url, LOCK_PREFIX: prefix }));
    await Promise.all(workers.map((w) => w.next('ready')));
  });

  afterAll(async () => {
    workers.forEach((w) => w.kill());
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  /** Runs the read-modify-write workload on all processes at once; returns every (value read, fence) pair. */
  async function runWorkload(locked: boolean): Promise<{ counter: number; records: [number, number][] }> {
    const counterKey = `${prefix}:counter:${randomUUID()}`;
    const lockKey = `counter-${randomUUID()}`;
    const replies: Reply[] = await Promise.all(
      workers.map((w, i) =>
        w.call({ cmd: 'count', lockKey, counterKey, contenders: share(i), rounds: ROUNDS, locked, ttlMs: 5000 }, 'counted'),
      ),
    );
    const records = replies.flatMap((r) => r.records as [number, number][]);
    return { counter: Number(await admin.get(counterKey)), records };
  }

  it('never loses an update with 50 contenders, and fences grow with every critical section', async () => {
    const total = CONTENDERS * ROUNDS;
    const { counter, records } = await runWorkload(true);
    expect(counter).toBe(total);
    expect(records).toHaveLength(total);
    // Each critical section read a different value, 0 … total-1: no two ever overlapped.
    const byValueRead = [...records].sort((a, b) => a[0] - b[0]);
    expect(byValueRead.map(([read]) => read)).toEqual(Array.from({ length: total }, (_, i) => i));
    // In the order the critical sections really ran, fences strictly grow.
    for (let i = 1; i < byValueRead.length; i++) expect(byValueRead[i]![1]).toBeGreaterThan(byValueRead[i - 1]![1]);
  });

  it('loses updates without the lock, so the check above can fail', async () => {
    const { counter } = await runWorkload(false);
    expect(counter).toBeLessThan(CONTENDERS * ROUNDS);
  });
});
