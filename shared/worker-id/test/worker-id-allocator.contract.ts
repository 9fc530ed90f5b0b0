import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import {
  WorkerIdsExhaustedError,
  type LeaseLostEvent,
  type LeaseStore,
  type WorkerIdAllocator,
  type WorkerIdCommonOptions,
} from '../index.js';

/** One isolated namespace of IDs (a fresh memory store, a random Redis prefix). */
export interface WorkerIdNamespace {
  /** A new allocator on this namespace; the suite closes it. */
  create(options?: WorkerIdCommonOptions): WorkerIdAllocator;
  /** The namespace's raw store, to play a holder that crashed (acquires, never renews). */
  readonly store: LeaseStore;
  /** Removes whatever the namespace left in its store. */
  cleanup(): Promise<void>;
}

export interface WorkerIdAllocatorHarness {
  namespace(): Promise<WorkerIdNamespace>;
}

/**
 * Short leases keep the suite quick; they are waited out with real time, never used as upper bounds.
 * 500 ms leaves renewals (every ~167 ms) room on a loaded machine.
 */
export const LEASE_MS = 500;

function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The behaviour every WorkerIdAllocator adapter must show. Each test gets its own namespace.
 * `workerIdAllocatorContract('memory', { namespace: async () => … })`.
 */
export function workerIdAllocatorContract(name: string, harness: WorkerIdAllocatorHarness): void {
  describe(`WorkerIdAllocator contract: ${name}`, () => {
    let ns: WorkerIdNamespace;
    let opened: WorkerIdAllocator[] = [];

    const allocator = (options: WorkerIdCommonOptions = {}): WorkerIdAllocator => {
      const a = ns.create({ leaseMs: LEASE_MS, ...options });
      opened.push(a);
      return a;
    };

    /** n allocators each holding an ID. */
    const holders = async (n: number): Promise<WorkerIdAllocator[]> => {
      const list = Array.from({ length: n }, () => allocator());
      await Promise.all(list.map((a) => a.acquire()));
      return list;
    };

    const exhaustion = async (a: WorkerIdAllocator): Promise<WorkerIdsExhaustedError> => {
      try {
        await a.acquire();
      } catch (error) {
        if (error instanceof WorkerIdsExhaustedError) return error;
        throw error;
      }
      throw new Error(`acquire succeeded with ID ${String(a.current())}; expected all 32 to be taken`);
    };

    beforeEach(async () => {
      ns = await harness.namespace();
      opened = [];
    });

    afterEach(async () => {
      await Promise.all(opened.map((a) => a.close()));
      await ns.cleanup();
    });

    it('leases an ID in 0–31 and reports it through current() and healthy()', async () => {
      const a = allocator();
      expect(a.current()).toBeNull();
      expect(a.healthy()).toBe(false);
      const id = await a.acquire();
      expect(Number.isInteger(id) && id >= 0 && id <= 31).toBe(true);
      expect(a.current()).toBe(id);
      expect(a.healthy()).toBe(true);
    });

    it('answers the held ID to repeated and concurrent acquires without taking a second one', async () => {
      const a = allocator();
      const [x, y] = await Promise.all([a.acquire(), a.acquire()]);
      expect(x).toBe(y);
      expect(await a.acquire()).toBe(x);
      // Only one slot is used: 31 others still fit.
      const others = await holders(31);
      expect(new Set([x, ...others.map((o) => o.current())]).size).toBe(32);
    });

    it('hands 32 allocators 32 distinct IDs and refuses the 33rd, saying all 32 are leased and by how many nodes', async () => {
      const list = await holders(32);
      const ids = list.map((a) => a.current());
      expect(new Set(ids).size).toBe(32);
      expect([...ids].sort((p, q) => Number(p) - Number(q))).toEqual(Array.from({ length: 32 }, (_, i) => i));

      const late = allocator();
      const error = await exhaustion(late);
      expect(error.type).toBe('CB_ERR_WORKER_ID_EXHAUSTED');
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('All 32 worker IDs are leased');
      expect(error.message).toContain('32 held by running nodes');
      expect(error.message).toMatch(/Stop or scale down nodes/);
      expect(error.data).toMatchObject({ held: 32, coolingDown: 0 });
      expect(late.current()).toBeNull();
      expect(late.healthy()).toBe(false);
    });

    it('keeps its lease over several lease periods by renewing it in the background', async () => {
      const a = allocator();
      const lost: LeaseLostEvent[] = [];
      a.onLost((event) => lost.push(event));
      const id = await a.acquire();
      await delay(LEASE_MS * 4);
      expect(lost).toEqual([]);
      expect(a.healthy()).toBe(true);
      expect(a.current()).toBe(id);
      const other = allocator();
      expect(await other.acquire()).not.toBe(id);
    });

    it('stops at once on release and keeps the released ID from everyone for one lease period', async () => {
      const list = await holders(32);
      const leaving = list[7]!;
      const id = leaving.current();
      const releasedAt = performance.now();
      await leaving.release();
      expect(leaving.current()).toBeNull();
      expect(leaving.healthy()).toBe(false);

      const error = await exhaustion(allocator());
      expect(error.data).toMatchObject({ held: 31, coolingDown: 1 });
      expect(error.message).toContain('1 released or expired and cooling down');

      const next = allocator({ acquireWaitMs: LEASE_MS * 10 });
      expect(await next.acquire()).toBe(id);
      expect(performance.now() - releasedAt).toBeGreaterThanOrEqual(LEASE_MS);
    });

    it('after a release, takes a different ID on the next acquire while the released one cools down', async () => {
      const a = allocator();
      const first = await a.acquire();
      await a.release();
      const second = await a.acquire();
      expect(second).not.toBe(first);
      expect(a.current()).toBe(second);
    });

    it('keeps the ID of a holder that stopped renewing (crashed) from everyone until one lease period after its lease ran out', async () => {
      // A longer lease for the crashed holder than for the others, so that its cooldown window (one
      // lease period) outlasts the 31 acquisitions below and the check, even on a loaded machine.
      const crashedLease = LEASE_MS * 4;
      const acquiredAt = performance.now();
      const crashed = await ns.store.acquire(randomUUID(), crashedLease);
      expect(crashed.ok).toBe(true);
      const crashedId = crashed.ok ? crashed.workerId : -1;
      await holders(31);

      await delay(Math.max(0, acquiredAt + crashedLease * 1.05 - performance.now()));
      // Its lease is over, yet the ID counts as cooling down, not free.
      const error = await exhaustion(allocator());
      expect(error.data).toMatchObject({ held: 31, coolingDown: 1 });

      const next = allocator({ acquireWaitMs: crashedLease * 10 });
      expect(await next.acquire()).toBe(crashedId);
      expect(performance.now() - acquiredAt).toBeGreaterThanOrEqual(2 * crashedLease);
    });

    it('turns unhealthy as soon as its event loop stalls past the lease, before any renewal runs, then reports the loss once', async () => {
      const a = allocator();
      const lost: LeaseLostEvent[] = [];
      a.onLost((event) => lost.push(event));
      const id = await a.acquire();
      blockEventLoop(LEASE_MS * 1.5);
      expect(a.healthy()).toBe(false);
      await delay(LEASE_MS);
      expect(lost).toEqual([expect.objectContaining({ workerId: id, reason: 'expired' })]);
      expect(a.current()).toBeNull();
      expect(a.healthy()).toBe(false);
    });

    it('leases again after a loss, and not the lost ID while it cools down', async () => {
      const a = allocator();
      const id = await a.acquire();
      blockEventLoop(LEASE_MS * 1.5);
      const again = await a.acquire();
      expect(again).not.toBe(id);
      expect(a.healthy()).toBe(true);
      expect(a.current()).toBe(again);
    });

    it('stops calling a listener once it is removed', async () => {
      const a = allocator();
      const heard: number[] = [];
      const off = a.onLost((event) => heard.push(event.workerId));
      off();
      await a.acquire();
      blockEventLoop(LEASE_MS * 1.5);
      await delay(LEASE_MS);
      expect(heard).toEqual([]);
    });

    it('treats release without a lease as a no-op, and close as a release', async () => {
      const idle = allocator();
      await expect(idle.release()).resolves.toBeUndefined();

      const list = await holders(32);
      await list[3]!.close();
      expect(list[3]!.current()).toBeNull();
      const error = await exhaustion(allocator());
      expect(error.data).toMatchObject({ held: 31, coolingDown: 1 });
    });
  });
}
