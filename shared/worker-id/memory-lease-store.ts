import { performance } from 'node:perf_hooks';
import { WORKER_ID_COUNT } from './errors.js';
import type { AcquireOutcome, LeaseStore } from './types.js';

type Slot =
  | { readonly state: 'held'; readonly token: string; readonly heldUntil: number; readonly freeAt: number }
  | { readonly state: 'released'; readonly freeAt: number };

/**
 * Leases kept in this process, with the same rules as the Redis store (scripts/*.lua): a slot is held
 * until heldUntil, then cools down for one more lease period; a release leaves a tombstone for one lease
 * period. Times are this process's monotonic clock, so a wall-clock step cannot shorten a cooldown.
 * Only for a single process: every process has its own store and would hand out the same IDs.
 */
export class MemoryLeaseStore implements LeaseStore {
  readonly type = 'memory' as const;
  readonly inProcess = true;
  readonly where = 'this process (memory adapter)';
  private readonly slots = new Map<number, Slot>();
  /**
   * When this store first answered after a wipe (acquire.lua's marker), or -Infinity: a store made in
   * this process predates every lease of it, so it starts known, never new.
   */
  private answeredSince: number | null = -Infinity;

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  /** Forgets every lease and the marker, as a Redis restarted empty would (for tests of that case). */
  wipe(): void {
    this.slots.clear();
    this.answeredSince = null;
  }

  async acquire(token: string, leaseMs: number): Promise<AcquireOutcome> {
    const now = performance.now();
    this.answeredSince ??= now;
    if (this.answeredSince + leaseMs > now) return { ok: false, newStore: true, waitMs: this.answeredSince + leaseMs - now };
    let held = 0;
    let coolingDown = 0;
    for (let workerId = 0; workerId < WORKER_ID_COUNT; workerId++) {
      const slot = this.live(workerId, now);
      if (!slot) {
        this.slots.set(workerId, { state: 'held', token, heldUntil: now + leaseMs, freeAt: now + 2 * leaseMs });
        return { ok: true, workerId };
      }
      if (slot.state === 'held' && slot.heldUntil > now) held++;
      else coolingDown++;
    }
    return { ok: false, held, coolingDown };
  }

  async renew(workerId: number, token: string, leaseMs: number): Promise<'renewed' | 'expired' | 'taken'> {
    const now = performance.now();
    const slot = this.live(workerId, now);
    if (!slot || slot.state !== 'held' || slot.token !== token) return 'taken';
    if (slot.heldUntil <= now) return 'expired';
    this.slots.set(workerId, { state: 'held', token, heldUntil: now + leaseMs, freeAt: now + 2 * leaseMs });
    return 'renewed';
  }

  async release(workerId: number, token: string, leaseMs: number): Promise<boolean> {
    const now = performance.now();
    const slot = this.live(workerId, now);
    if (!slot || slot.state !== 'held' || slot.token !== token) return false;
    this.slots.set(workerId, { state: 'released', freeAt: now + leaseMs });
    return true;
  }

  /** The slot if it still exists (the Redis key has not expired), else null. */
  private live(workerId: number, now: number): Slot | null {
    const slot = this.slots.get(workerId);
    if (!slot) return null;
    if (slot.freeAt <= now) {
      this.slots.delete(workerId);
      return null;
    }
    return slot;
  }
}

/** The store memory allocators use unless given one: one per process, so allocators in a process never collide. */
export const processLeaseStore = new MemoryLeaseStore();
