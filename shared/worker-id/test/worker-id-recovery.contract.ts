import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { LeaseLostEvent, WorkerIdAllocator, WorkerIdCommonOptions } from '../index.js';
import { LEASE_MS } from './worker-id-allocator.contract.js';

/** A namespace whose store can be wiped as a Redis restarted empty (or FLUSHALL) would be. */
export interface WipeableNamespace {
  create(options?: WorkerIdCommonOptions): WorkerIdAllocator;
  /** Empties the store: every lease and the store's marker are gone. */
  wipe(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Waits for `check` with real time (no upper bound: the machine may be loaded). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await delay(10);
}

/**
 * Recovery and wipe safety, for every adapter: a node that lost its lease leases again by itself, and
 * a wiped store grants no ID while any holder from before the wipe may still issue its own.
 */
export function workerIdRecoveryContract(name: string, namespace: () => Promise<WipeableNamespace>): void {
  describe(`WorkerIdAllocator recovery contract: ${name}`, () => {
    let ns: WipeableNamespace;
    let opened: WorkerIdAllocator[] = [];
    const allocator = (options: WorkerIdCommonOptions = {}) => {
      const a = ns.create({ leaseMs: LEASE_MS, ...options });
      opened.push(a);
      return a;
    };

    beforeEach(async () => {
      ns = await namespace();
      opened = [];
    });

    afterEach(async () => {
      await Promise.all(opened.map((a) => a.close()));
      await ns.cleanup();
    });

    it('after the store is wiped, a recovering allocator reports the loss, waits out the new store, leases again and is healthy', async () => {
      const a = allocator({ recover: true });
      await a.acquire();
      const lost: LeaseLostEvent[] = [];
      const leased: number[] = [];
      a.onLost((e) => lost.push(e));
      a.onAcquired((id) => leased.push(id));
      await ns.wipe();
      await until(() => lost.length === 1);
      expect(a.healthy()).toBe(false);
      const lostAt = performance.now();
      await until(() => a.healthy());
      expect(leased).toHaveLength(1);
      expect(a.current()).toBe(leased[0]);
      // The wiped store granted nothing for a lease period after it first answered (after the loss).
      expect(performance.now() - lostAt).toBeGreaterThanOrEqual(LEASE_MS * 0.9);
    });

    it('a wiped store hands no ID to a new allocator while a holder from before the wipe (not renewing) can still issue its own', async () => {
      // The old holder never gets to renew (as if cut off from the store): only its deadline stops it.
      const old = allocator({ renewEveryMs: LEASE_MS - 1 });
      const oldId = await old.acquire();
      await ns.wipe();
      const fresh = allocator();
      const freshId = await fresh.acquire();
      expect(old.healthy()).toBe(false);
      expect(typeof freshId).toBe('number');
      expect(typeof oldId).toBe('number');
    });

    it('lets an ID request wait for the lease: whenHealthy resolves true once leased again, false when the wait runs out', async () => {
      const a = allocator({ recover: true });
      await a.acquire();
      expect(await a.whenHealthy(0)).toBe(true);
      await ns.wipe();
      await until(() => !a.healthy());
      expect(await a.whenHealthy(1)).toBe(false);
      expect(await a.whenHealthy(60_000)).toBe(true);
      expect(a.healthy()).toBe(true);
    });

    it('does not lease again after release() or close(), even with recover on', async () => {
      const a = allocator({ recover: true });
      await a.acquire();
      await a.release();
      await delay(LEASE_MS * 2);
      expect(a.current()).toBeNull();
    });
  });
}
