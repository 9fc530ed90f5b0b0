import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import { redisFencedGet } from '../../index.js';
import { LockWorker, processState, requireCompiledLock } from '../lock-worker-process.js';

const prefix = `test-${randomUUID()}`;
/** Short enough to wait out, long enough for the first holder to be stopped while it still holds the key. */
const TTL_MS = 300;

describe('a holder stopped past its TTL (SIGSTOP), across processes', () => {
  let admin: Redis;
  let old: LockWorker;
  let taker: LockWorker;

  beforeAll(async () => {
    await requireServices('redis');
    requireCompiledLock();
    admin = new Redis(SERVICES.redis.url);
    old = new LockWorker({ REDIS_URL: SERVICES.redis.url, LOCK_PREFIX: prefix });
    taker = new LockWorker({ REDIS_URL: SERVICES.redis.url, LOCK_PREFIX: prefix });
    await Promise.all([old.next('ready'), taker.next('ready')]);
  });

  afterAll(async () => {
    old.kill();
    taker.kill();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  async function stop(worker: LockWorker): Promise<void> {
    process.kill(worker.pid, 'SIGSTOP');
    while (processState(worker.pid) !== 'T') await delay(5);
  }

  it('loses the lock to another process with a higher fence; on resume its stale write and its release are refused', async () => {
    const key = `job-${randomUUID()}`;
    const dataKey = `${prefix}:data:${randomUUID()}`;
    const first = await old.call({ cmd: 'acquire', key, ttlMs: TTL_MS }, 'acquired');
    await stop(old);

    const second = await taker.call({ cmd: 'acquire', key, ttlMs: 10_000, waitMs: 10_000 }, 'acquired');
    expect(second.fence).toBeGreaterThan(first.fence as number);
    await expect(taker.call({ cmd: 'fenced-write', key, dataKey, value: 'from the new holder' }, 'written')).resolves.toMatchObject({ ok: true });

    // Queued while stopped, run on resume: the old holder still believes it holds the lock.
    const write = old.send({ cmd: 'fenced-write', key, dataKey, value: 'from the stopped holder' });
    const release = old.send({ cmd: 'release', key });
    process.kill(old.pid, 'SIGCONT');
    await expect(old.next('written', write)).resolves.toMatchObject({ ok: false });
    await expect(old.next('released', release)).resolves.toMatchObject({ ok: false });

    await expect(redisFencedGet(admin, dataKey)).resolves.toEqual({ value: 'from the new holder', fence: second.fence });
    await expect(taker.call({ cmd: 'release', key }, 'released')).resolves.toMatchObject({ ok: true });
  });

  it('aborts a stopped withLock holder on resume with LockLostError, and its late write is refused', async () => {
    const key = `job-${randomUUID()}`;
    const dataKey = `${prefix}:data:${randomUUID()}`;
    const hold = old.send({ cmd: 'hold', key, ttlMs: TTL_MS, dataKey, value: 'from the stopped holder' });
    const holding = await old.next('holding', hold);
    await stop(old);

    const second = await taker.call({ cmd: 'acquire', key, ttlMs: 10_000, waitMs: 10_000 }, 'acquired');
    expect(second.fence).toBeGreaterThan(holding.fence as number);
    await taker.call({ cmd: 'fenced-write', key, dataKey, value: 'from the new holder' }, 'written');

    process.kill(old.pid, 'SIGCONT');
    await expect(old.next('hold-ended', hold)).resolves.toMatchObject({ aborted: true, written: false, error: 'CB_ERR_LOCK_LOST' });
    await expect(redisFencedGet(admin, dataKey)).resolves.toEqual({ value: 'from the new holder', fence: second.fence });
    await taker.call({ cmd: 'release', key }, 'released');
  });
});
