import { MemoryLockAdapter } from '../../lock/index.js';
import { MemoryQueue, MemoryQueueStore } from '../../queue/index.js';
import { deferred, sleep, waitFor } from '../../queue/test/support/async.js';
import { NodeWork } from '../node-work.js';

describe('NodeWork: what a node works on, and draining it', () => {
  const store = new MemoryQueueStore();
  afterAll(() => store.clearTimers());
  const setup = async () => {
    const raw = new MemoryQueue({ type: 'memory', store, prefix: `nw-${Math.random().toString(36).slice(2)}` });
    await raw.connect();
    const work = new NodeWork();
    return { work, queue: work.wrapQueue(raw), raw };
  };

  test('a drained node finishes the delivery it runs, takes no new one, and takes them again when undrained', async () => {
    const { work, queue, raw } = await setup();
    const release = deferred();
    const got: number[] = [];
    await queue.subscribe<{ n: number }>('jobs', async (m) => {
      got.push(m.n);
      if (m.n === 1) await release.promise;
    });
    await queue.publish('jobs', { n: 1 });
    await waitFor('the first delivery running', () => work.inFlight().length === 1);
    expect(work.inFlight()[0]).toMatchObject({ channel: 'jobs', attempt: 1, message: { n: 1 } });
    expect(work.consumers().get('jobs')).toBe(1);

    const drained = work.drain();
    expect(work.drained).toBe(true);
    expect(work.consumers().get('jobs')).toBe(0);
    await queue.publish('jobs', { n: 2 });
    release.resolve();
    await drained;
    expect(work.inFlight()).toEqual([]);
    await sleep(100);
    expect(got).toEqual([1]);
    expect((await raw.stats('jobs')).waiting).toBe(1);

    await work.undrain();
    await waitFor('the waiting message after undrain', () => got.length === 2);
    expect(got).toEqual([1, 2]);
    expect(work.consumers().get('jobs')).toBe(1);
    await raw.close();
  });

  test('a subscription made while drained starts only when undrained; an unsubscribed one is not made again', async () => {
    const { work, queue, raw } = await setup();
    await work.drain();
    const got: string[] = [];
    await queue.subscribe('late', () => void got.push('late'));
    const stop = await queue.subscribe('gone', () => void got.push('gone'));
    await stop();
    await queue.publish('late', {});
    await queue.publish('gone', {});
    await sleep(50);
    expect(got).toEqual([]);
    await work.undrain();
    await waitFor('the late consumer', () => got.length === 1);
    await sleep(50);
    expect(got).toEqual(['late']);
    expect([...work.consumers().keys()]).toEqual(['late']);
    await raw.close();
  });

  test('lists the locks this node holds with fence and expiry, never the token, until released', async () => {
    const work = new NodeWork();
    const lock = work.wrapLock(new MemoryLockAdapter());
    const a = await lock.acquire('main:a', { ttlMs: 10_000 });
    await lock.acquire('main:b', { ttlMs: 10_000 });
    expect(work.heldLocks().map((l) => l.key).sort()).toEqual(['main:a', 'main:b']);
    expect(JSON.stringify(work.heldLocks())).not.toContain(a.token);
    expect(work.heldLocks().find((l) => l.key === 'main:a')).toEqual({ key: 'main:a', fence: a.fence, expiresAt: a.expiresAt });
    await lock.release('main:a', a.token);
    expect(work.heldLocks().map((l) => l.key)).toEqual(['main:b']);
    expect(work.heldLocks(Date.now() + 20_000)).toEqual([]);
  });
});
