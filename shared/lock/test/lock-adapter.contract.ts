import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { LockLostError, LockTimeoutError, type LockAdapter } from '../index.js';

export interface LockAdapterHarness {
  /** A connected adapter with its own namespace; closed by the suite. */
  create(): Promise<LockAdapter>;
  /** Removes whatever the adapter left in its store. */
  cleanup?(): Promise<void>;
}

/** Short leases keep the suite quick; they are waited out with real time, never asserted on. */
const SHORT_TTL = 60;
const LONG_TTL = 10_000;

/**
 * The behaviour every LockAdapter must show. Run it once per adapter:
 * `lockAdapterContract('memory', { create: async () => new MemoryLockAdapter() })`.
 */
export function lockAdapterContract(name: string, harness: LockAdapterHarness): void {
  describe(`LockAdapter contract: ${name}`, () => {
    let locks: LockAdapter;
    const key = (): string => `k-${randomUUID()}`;

    beforeAll(async () => {
      locks = await harness.create();
    });

    afterAll(async () => {
      await locks.close();
      await harness.cleanup?.();
    });

    it('grants a free key with a token, a fence and an expiry in the future', async () => {
      const k = key();
      const before = Date.now();
      const handle = await locks.acquire(k, { ttlMs: LONG_TTL });
      expect(handle.key).toBe(k);
      expect(typeof handle.token).toBe('string');
      expect(handle.token.length).toBeGreaterThanOrEqual(16);
      expect(Number.isSafeInteger(handle.fence) && handle.fence >= 1).toBe(true);
      expect(handle.expiresAt).toBeGreaterThanOrEqual(before + LONG_TTL);
      await expect(locks.release(k, handle.token)).resolves.toBe(true);
    });

    it('refuses a second holder while the lease is live', async () => {
      const k = key();
      const first = await locks.acquire(k, { ttlMs: LONG_TTL });
      const second = locks.acquire(k, { ttlMs: LONG_TTL, waitMs: 0 });
      await expect(second).rejects.toBeInstanceOf(LockTimeoutError);
      await expect(second).rejects.toMatchObject({ type: 'CB_ERR_LOCK_TIMEOUT', retryable: true, code: 503 });
      await locks.release(k, first.token);
    });

    it('keeps different keys independent', async () => {
      const a = await locks.acquire(key(), { ttlMs: LONG_TTL });
      const b = await locks.acquire(key(), { ttlMs: LONG_TTL });
      await locks.release(a.key, a.token);
      await locks.release(b.key, b.token);
    });

    it('lets exactly one contender at a time into the critical section', async () => {
      const k = key();
      let counter = 0;
      let inside = 0;
      let maxInside = 0;
      const contender = async (): Promise<void> => {
        for (let round = 0; round < 3; round++) {
          const h = await locks.acquire(k, { ttlMs: LONG_TTL, waitMs: 30_000 });
          inside++;
          maxInside = Math.max(maxInside, inside);
          const read = counter;
          await delay(1);
          counter = read + 1;
          inside--;
          expect(await locks.release(k, h.token)).toBe(true);
        }
      };
      await Promise.all(Array.from({ length: 10 }, contender));
      expect(counter).toBe(30);
      expect(maxInside).toBe(1);
    });

    it('hands out strictly growing fences across releases and expiries', async () => {
      const k = key();
      const fences: number[] = [];
      for (let i = 0; i < 3; i++) {
        const h = await locks.acquire(k, { ttlMs: LONG_TTL });
        fences.push(h.fence);
        await locks.release(k, h.token);
      }
      const expiring = await locks.acquire(k, { ttlMs: SHORT_TTL });
      fences.push(expiring.fence);
      await delay(SHORT_TTL * 2);
      const after = await locks.acquire(k, { ttlMs: LONG_TTL });
      fences.push(after.fence);
      await locks.release(k, after.token);
      for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]!);
    });

    it('refuses a release with a wrong token and keeps the lock held', async () => {
      const k = key();
      const h = await locks.acquire(k, { ttlMs: LONG_TTL });
      await expect(locks.release(k, 'not-the-token')).resolves.toBe(false);
      await expect(locks.acquire(k, { ttlMs: LONG_TTL })).rejects.toBeInstanceOf(LockTimeoutError);
      await expect(locks.release(k, h.token)).resolves.toBe(true);
    });

    it('answers false to a release after the lease expired', async () => {
      const k = key();
      const h = await locks.acquire(k, { ttlMs: SHORT_TTL });
      await delay(SHORT_TTL * 2);
      await expect(locks.release(k, h.token)).resolves.toBe(false);
    });

    it('answers false to a second release of the same lease', async () => {
      const k = key();
      const h = await locks.acquire(k, { ttlMs: LONG_TTL });
      await expect(locks.release(k, h.token)).resolves.toBe(true);
      await expect(locks.release(k, h.token)).resolves.toBe(false);
    });

    it('keeps a lease alive past its first TTL when the holder extends it', async () => {
      const k = key();
      const h = await locks.acquire(k, { ttlMs: SHORT_TTL * 2 });
      for (let i = 0; i < 4; i++) {
        await delay(SHORT_TTL);
        const next = await locks.extend(k, h.token, SHORT_TTL * 2);
        expect(next).toBeGreaterThan(h.expiresAt - 1);
      }
      await expect(locks.acquire(k, { ttlMs: LONG_TTL })).rejects.toBeInstanceOf(LockTimeoutError);
      await expect(locks.release(k, h.token)).resolves.toBe(true);
    });

    it('refuses to extend after expiry even when nobody took the key since', async () => {
      const k = key();
      const h = await locks.acquire(k, { ttlMs: SHORT_TTL });
      await delay(SHORT_TTL * 2);
      const extended = locks.extend(k, h.token, LONG_TTL);
      await expect(extended).rejects.toBeInstanceOf(LockLostError);
      await expect(extended).rejects.toMatchObject({ type: 'CB_ERR_LOCK_LOST', retryable: true });
      const next = await locks.acquire(k, { ttlMs: LONG_TTL });
      await locks.release(k, next.token);
    });

    it('refuses to extend with a wrong token', async () => {
      const k = key();
      const h = await locks.acquire(k, { ttlMs: LONG_TTL });
      await expect(locks.extend(k, 'not-the-token', LONG_TTL)).rejects.toBeInstanceOf(LockLostError);
      await locks.release(k, h.token);
    });

    it('gives up with LockTimeoutError when the holder keeps the key past waitMs', async () => {
      const k = key();
      const h = await locks.acquire(k, { ttlMs: LONG_TTL });
      await expect(locks.acquire(k, { ttlMs: LONG_TTL, waitMs: SHORT_TTL })).rejects.toBeInstanceOf(LockTimeoutError);
      await locks.release(k, h.token);
    });

    it('hands the key to a waiter when the holder releases it, with a higher fence', async () => {
      const k = key();
      const h = await locks.acquire(k, { ttlMs: LONG_TTL });
      const waiting = locks.acquire(k, { ttlMs: LONG_TTL, waitMs: 30_000 });
      await delay(SHORT_TTL);
      await locks.release(k, h.token);
      const next = await waiting;
      expect(next.fence).toBeGreaterThan(h.fence);
      await locks.release(k, next.token);
    });

    it('hands the key to a waiter when the holder lets its lease expire', async () => {
      const k = key();
      const h = await locks.acquire(k, { ttlMs: SHORT_TTL });
      const next = await locks.acquire(k, { ttlMs: LONG_TTL, waitMs: 30_000 });
      expect(next.fence).toBeGreaterThan(h.fence);
      await expect(locks.release(k, h.token)).resolves.toBe(false);
      await locks.release(k, next.token);
    });

    it('stops waiting when the signal aborts, rejecting with its reason and taking nothing', async () => {
      const k = key();
      const h = await locks.acquire(k, { ttlMs: LONG_TTL });
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const waiting = locks.acquire(k, { ttlMs: LONG_TTL, waitMs: 30_000, signal: controller.signal });
      await delay(SHORT_TTL);
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      await locks.release(k, h.token);
      // Nothing was left held by the aborted waiter.
      const next = await locks.acquire(k, { ttlMs: LONG_TTL });
      await locks.release(k, next.token);
    });

    it('rejects at once for an already aborted signal, even on a free key', async () => {
      const k = key();
      const controller = new AbortController();
      controller.abort();
      await expect(locks.acquire(k, { ttlMs: LONG_TTL, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
      await expect(locks.list(k)).resolves.toEqual([]);
    });

    it('lists held locks with key, fence and expiry but never their tokens', async () => {
      const base = key();
      const a = await locks.acquire(`${base}:a`, { ttlMs: LONG_TTL });
      const b = await locks.acquire(`${base}:b`, { ttlMs: LONG_TTL });
      const other = await locks.acquire(key(), { ttlMs: LONG_TTL });
      const listed = await locks.list(base);
      expect(listed).toEqual([
        { key: `${base}:a`, fence: a.fence, expiresAt: expect.any(Number) },
        { key: `${base}:b`, fence: b.fence, expiresAt: expect.any(Number) },
      ]);
      expect(JSON.stringify(listed)).not.toContain(a.token);
      await locks.release(a.key, a.token);
      await expect(locks.list(base)).resolves.toEqual([expect.objectContaining({ key: `${base}:b` })]);
      await locks.release(b.key, b.token);
      await locks.release(other.key, other.token);
    });

    it('leaves expired locks out of the list', async () => {
      const k = key();
      await locks.acquire(k, { ttlMs: SHORT_TTL });
      await delay(SHORT_TTL * 2);
      await expect(locks.list(k)).resolves.toEqual([]);
    });

    it('treats glob characters in a list prefix literally', async () => {
      const base = key();
      const h = await locks.acquire(`${base}*[x]?`, { ttlMs: LONG_TTL });
      await expect(locks.list(`${base}*[`)).resolves.toEqual([expect.objectContaining({ key: `${base}*[x]?` })]);
      await expect(locks.list(`${base}?`)).resolves.toEqual([]);
      await locks.release(h.key, h.token);
    });

    it('refuses an empty key or a bad TTL with a validation error', async () => {
      await expect(locks.acquire('', { ttlMs: LONG_TTL })).rejects.toMatchObject({ type: 'CB_ERR_VALIDATION', code: 400 });
      await expect(locks.acquire(key(), { ttlMs: 0 })).rejects.toMatchObject({ type: 'CB_ERR_VALIDATION' });
      await expect(locks.acquire(key(), { ttlMs: 1.5 })).rejects.toMatchObject({ type: 'CB_ERR_VALIDATION' });
      await expect(locks.acquire(key(), { ttlMs: LONG_TTL, waitMs: -1 })).rejects.toMatchObject({ type: 'CB_ERR_VALIDATION' });
    });

    it('ends pending waits with CB_ERR_LOCK_CLOSED when closed', async () => {
      const own = await harness.create();
      const k = key();
      await own.acquire(k, { ttlMs: LONG_TTL });
      const waiting = own.acquire(k, { ttlMs: LONG_TTL, waitMs: 30_000 });
      await delay(SHORT_TTL);
      const ended = expect(waiting).rejects.toMatchObject({ type: 'CB_ERR_LOCK_CLOSED', retryable: true });
      await own.close();
      await ended;
      await expect(own.acquire(key(), { ttlMs: LONG_TTL })).rejects.toMatchObject({ type: 'CB_ERR_LOCK_CLOSED' });
    });
  });
}
