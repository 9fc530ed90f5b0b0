import { MemoryLockAdapter } from '../../index.js';
import { lockAdapterContract } from '../lock-adapter.contract.js';

lockAdapterContract('memory', {
  create: async () => {
    const locks = new MemoryLockAdapter();
    await locks.connect();
    return locks;
  },
});

describe('MemoryLockAdapter', () => {
  it('declares itself in-process so a clustered node can refuse it', () => {
    expect(new MemoryLockAdapter()).toMatchObject({ type: 'memory', inProcess: true });
  });

  it('wakes waiters one at a time, in arrival order, as the key frees up', async () => {
    const locks = new MemoryLockAdapter();
    const first = await locks.acquire('k', { ttlMs: 10_000 });
    const order: number[] = [];
    const waiters = [1, 2, 3].map(async (n) => {
      const h = await locks.acquire('k', { ttlMs: 10_000, waitMs: 30_000 });
      order.push(n);
      await locks.release('k', h.token);
    });
    await locks.release('k', first.token);
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    await locks.close();
  });

  it('passes the turn on when a woken waiter has been aborted', async () => {
    const locks = new MemoryLockAdapter();
    const first = await locks.acquire('k', { ttlMs: 10_000 });
    const controller = new AbortController();
    const aborted = locks.acquire('k', { ttlMs: 10_000, waitMs: 30_000, signal: controller.signal });
    const patient = locks.acquire('k', { ttlMs: 10_000, waitMs: 30_000 });
    let got = false;
    void patient.then(() => (got = true));
    // Release wakes the first waiter; it is aborted before it runs, so the second one must be woken
    // right away rather than when its own 30 s wait runs out.
    const released = locks.release('k', first.token);
    controller.abort();
    await expect(released).resolves.toBe(true);
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toBe(true);
    const h = await patient;
    expect(h.fence).toBe(first.fence + 1);
    await locks.close();
  });
});
