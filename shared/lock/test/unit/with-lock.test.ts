import { setTimeout as delay } from 'node:timers/promises';
import { LockLostError, LockTimeoutError, MemoryLockAdapter, withLock, type LockAdapter } from '../../index.js';

/** A memory adapter with some methods replaced, to stage store failures. */
function staged(base: LockAdapter, overrides: Partial<Pick<LockAdapter, 'extend' | 'release'>>): LockAdapter {
  return {
    type: base.type,
    inProcess: base.inProcess,
    connect: () => base.connect(),
    close: () => base.close(),
    acquire: (key, options) => base.acquire(key, options),
    extend: overrides.extend ?? ((key, token, ttlMs) => base.extend(key, token, ttlMs)),
    release: overrides.release ?? ((key, token) => base.release(key, token)),
    list: (prefix) => base.list(prefix),
  };
}

/** Resolves when `signal` aborts, with its reason. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

describe('withLock', () => {
  let locks: MemoryLockAdapter;

  beforeEach(() => {
    locks = new MemoryLockAdapter();
  });

  afterEach(async () => {
    await locks.close();
  });

  it('runs the work with the fence, returns its result and releases the key', async () => {
    const result = await withLock(locks, 'k', async (_signal, fence) => `fence ${fence}`, { ttlMs: 1000 });
    expect(result).toBe('fence 1');
    await expect(locks.list()).resolves.toEqual([]);
  });

  it('releases the key and rethrows when the work throws', async () => {
    const boom = new Error('boom');
    await expect(withLock(locks, 'k', async () => Promise.reject(boom), { ttlMs: 1000 })).rejects.toBe(boom);
    await expect(locks.list()).resolves.toEqual([]);
  });

  it('does not start the work when the key stays busy past waitMs', async () => {
    const holder = await locks.acquire('k', { ttlMs: 10_000 });
    const work = jest.fn();
    await expect(withLock(locks, 'k', work, { ttlMs: 1000, waitMs: 20 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(work).not.toHaveBeenCalled();
    await locks.release('k', holder.token);
  });

  it('renews the lease so work longer than the TTL keeps the key to the end', async () => {
    let refusedMidway = false;
    await withLock(
      locks,
      'k',
      async (signal) => {
        await delay(200);
        refusedMidway = await locks.acquire('k', { ttlMs: 1000 }).then(
          () => false,
          (err: unknown) => err instanceof LockTimeoutError,
        );
        expect(signal.aborted).toBe(false);
      },
      { ttlMs: 60 },
    );
    expect(refusedMidway).toBe(true);
    await expect(locks.list()).resolves.toEqual([]);
  });

  it('aborts the work and rejects with LockLostError when a renewal is refused', async () => {
    const lossy = staged(locks, { extend: async (key) => Promise.reject(new LockLostError(key)) });
    let reason: unknown;
    const run = withLock(
      lossy,
      'k',
      async (signal) => {
        reason = await aborted(signal);
        return 'finished anyway';
      },
      { ttlMs: 10_000, renewEveryMs: 10 },
    );
    await expect(run).rejects.toBeInstanceOf(LockLostError);
    expect(reason).toBeInstanceOf(LockLostError);
  });

  it('counts the lease as lost when its end passes without a successful renewal', async () => {
    const unreachable = staged(locks, { extend: async () => Promise.reject(new Error('connection refused')) });
    let reason: unknown;
    const run = withLock(
      unreachable,
      'k',
      async (signal) => {
        reason = await aborted(signal);
      },
      { ttlMs: 50, renewEveryMs: 10 },
    );
    await expect(run).rejects.toMatchObject({ type: 'CB_ERR_LOCK_LOST' });
    expect(reason).toBeInstanceOf(LockLostError);
  });

  it('rides out a failed renewal when the next one succeeds in time', async () => {
    let failures = 1;
    const flaky = staged(locks, {
      extend: async (key, token, ttlMs) => (failures-- > 0 ? Promise.reject(new Error('blip')) : locks.extend(key, token, ttlMs)),
    });
    const result = await withLock(
      flaky,
      'k',
      async (signal) => {
        await delay(250);
        return signal.aborted ? 'aborted' : 'done';
      },
      { ttlMs: 90, renewEveryMs: 20 },
    );
    expect(result).toBe('done');
  });

  it('rejects with LockLostError when the release finds the lease already gone', async () => {
    const late = staged(locks, { release: async () => false });
    await expect(withLock(late, 'k', async () => 'done', { ttlMs: 1000 })).rejects.toBeInstanceOf(LockLostError);
  });

  it('passes the caller abort to the work and still releases the key', async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const run = withLock(
      locks,
      'k',
      async (signal) => {
        throw await aborted(signal);
      },
      { ttlMs: 1000, signal: controller.signal },
    );
    await delay(10);
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    await expect(locks.list()).resolves.toEqual([]);
  });

  it('never settles before the work does, even when the lease is lost', async () => {
    const lossy = staged(locks, { extend: async (key) => Promise.reject(new LockLostError(key)) });
    let workDone = false;
    const run = withLock(
      lossy,
      'k',
      async () => {
        await delay(100);
        workDone = true;
      },
      { ttlMs: 10_000, renewEveryMs: 10 },
    );
    await expect(run).rejects.toBeInstanceOf(LockLostError);
    expect(workDone).toBe(true);
  });
});
