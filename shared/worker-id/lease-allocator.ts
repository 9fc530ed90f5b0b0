import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerIdsExhaustedError, WorkerIdStoreError } from './errors.js';
import type { LeaseLostEvent, LeaseStore, WorkerIdAllocator } from './types.js';

export interface LeaseAllocatorSettings {
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  readonly acquireWaitMs: number;
  readonly recover: boolean;
}

/** First retry of a recovery 100 ms after the loss, doubling up to the renewal interval. */
const RECOVERY_FIRST_MS = 100;

interface Lease {
  readonly workerId: number;
  readonly token: string;
  /** performance.now() after which the lease may have ended at the store. */
  deadline: number;
}

/**
 * The WorkerIdAllocator every adapter shares: the store does the atomic slot operations, this class
 * keeps the lease (renewal timer, deadline on the monotonic clock, lost events).
 *
 * Why the deadline is safe: the store starts (or extends) a lease when it runs the command, which is
 * after we sent it, so `sentAt + leaseMs` is never later than the store's heldUntil (clock rates being
 * equal); and the store hands the ID out again only a full lease period after heldUntil.
 */
export class LeaseAllocator implements WorkerIdAllocator {
  readonly type: WorkerIdAllocator['type'];
  readonly inProcess: boolean;
  readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly acquireWaitMs: number;
  private lease: Lease | null = null;
  private acquiring: Promise<number> | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private renewing = false;
  private lastRenewError: unknown = undefined;
  private closed = false;
  private readonly listeners = new Set<(event: LeaseLostEvent) => void>();
  private readonly acquiredListeners = new Set<(workerId: number) => void>();
  private readonly recover: boolean;
  private recoveryTimer: NodeJS.Timeout | null = null;
  private recoveryAttempt = 0;
  /** Callers of whenHealthy() waiting for a lease. */
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly store: LeaseStore,
    settings: LeaseAllocatorSettings,
  ) {
    this.type = store.type;
    this.inProcess = store.inProcess;
    this.leaseMs = settings.leaseMs;
    this.renewEveryMs = settings.renewEveryMs;
    this.acquireWaitMs = settings.acquireWaitMs;
    this.recover = settings.recover;
  }

  async connect(): Promise<void> {
    try {
      await this.store.connect();
    } catch (error) {
      throw error instanceof WorkerIdStoreError ? error : new WorkerIdStoreError(this.store.where, 'connect', error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopRecovery();
    try {
      await this.release();
    } catch {
      // Unreleased, the lease expires and cools down by itself; closing must not fail on it.
    }
    await this.store.close();
  }

  acquire(): Promise<number> {
    if (this.lease && this.healthy()) return Promise.resolve(this.lease.workerId);
    if (this.lease) this.lose('expired');
    // Concurrent callers share one attempt: two leases for one allocator would leak an ID.
    this.acquiring ??= this.acquireOnce().finally(() => {
      this.acquiring = null;
    });
    return this.acquiring;
  }

  async release(): Promise<void> {
    this.stopRecovery();
    const lease = this.lease;
    if (!lease) return;
    this.drop();
    try {
      await this.store.release(lease.workerId, lease.token, this.leaseMs);
    } catch (error) {
      throw new WorkerIdStoreError(this.store.where, 'release', error);
    }
  }

  current(): number | null {
    return this.lease ? this.lease.workerId : null;
  }

  healthy(): boolean {
    return this.lease !== null && performance.now() < this.lease.deadline;
  }

  onLost(listener: (event: LeaseLostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onAcquired(listener: (workerId: number) => void): () => void {
    this.acquiredListeners.add(listener);
    return () => this.acquiredListeners.delete(listener);
  }

  whenHealthy(timeoutMs: number): Promise<boolean> {
    if (this.healthy()) return Promise.resolve(true);
    if (timeoutMs <= 0 || this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.healthy());
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.waiters.add(done);
    });
  }

  private async acquireOnce(): Promise<number> {
    if (this.closed) throw new WorkerIdStoreError(this.store.where, 'acquire', new Error('the allocator is closed'));
    await this.connect();
    const giveUpAt = performance.now() + this.acquireWaitMs;
    for (;;) {
      const token = randomUUID();
      const sentAt = performance.now();
      let outcome;
      try {
        outcome = await this.store.acquire(token, this.leaseMs);
      } catch (error) {
        throw new WorkerIdStoreError(this.store.where, 'acquire', error);
      }
      if (outcome.ok) {
        if (this.closed) {
          await this.store.release(outcome.workerId, token, this.leaseMs).catch(() => undefined);
          throw new WorkerIdStoreError(this.store.where, 'acquire', new Error('the allocator was closed while acquiring'));
        }
        this.hold({ workerId: outcome.workerId, token, deadline: sentAt + this.leaseMs });
        for (const listener of [...this.acquiredListeners]) {
          try {
            listener(outcome.workerId);
          } catch {
            // A throwing listener must not undo the lease.
          }
        }
        for (const wake of [...this.waiters]) wake();
        return outcome.workerId;
      }
      if (outcome.newStore) {
        // A new or wiped store grants nothing for one lease period (the store decides; bounded by leaseMs).
        if (this.closed) throw new WorkerIdStoreError(this.store.where, 'acquire', new Error('the allocator is closed'));
        await sleep(Math.max(1, Math.min(outcome.waitMs, this.leaseMs)));
        continue;
      }
      const left = giveUpAt - performance.now();
      if (left <= 0 || this.closed) {
        throw new WorkerIdsExhaustedError(outcome.held, outcome.coolingDown, this.leaseMs, this.store.where);
      }
      await sleep(Math.min(left, this.renewEveryMs));
    }
  }

  private hold(lease: Lease): void {
    this.lease = lease;
    this.lastRenewError = undefined;
    // Unref'd: a lease alone must not keep a process alive; the owner closes it on stop.
    this.renewTimer = setInterval(() => void this.renew(), this.renewEveryMs);
    this.renewTimer.unref();
    this.armDeadline();
  }

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const lease = this.lease;
    if (!lease) return;
    this.deadlineTimer = setTimeout(() => {
      if (this.lease === lease && performance.now() >= lease.deadline) this.lose('expired');
      else this.armDeadline();
    }, Math.max(0, lease.deadline - performance.now()) + 1);
    this.deadlineTimer.unref();
  }

  private async renew(): Promise<void> {
    const lease = this.lease;
    if (!lease || this.renewing) return;
    if (performance.now() >= lease.deadline) {
      this.lose('expired');
      return;
    }
    this.renewing = true;
    const sentAt = performance.now();
    try {
      const outcome = await this.store.renew(lease.workerId, lease.token, this.leaseMs);
      if (this.lease !== lease) return;
      if (outcome === 'renewed') {
        lease.deadline = Math.max(lease.deadline, sentAt + this.leaseMs);
        this.lastRenewError = undefined;
        this.armDeadline();
      } else {
        this.lose(outcome);
      }
    } catch (error) {
      // The lease is still ours until its deadline; the deadline timer ends it if no renewal succeeds.
      this.lastRenewError = error;
    } finally {
      this.renewing = false;
    }
  }

  /** Forgets the lease locally: from here on current() is null and healthy() false. */
  private drop(): void {
    this.lease = null;
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.renewTimer = null;
    this.deadlineTimer = null;
  }

  private lose(reason: LeaseLostEvent['reason']): void {
    const lease = this.lease;
    if (!lease) return;
    this.drop();
    if (reason === 'expired') {
      // If the store still has it as ours (we were only slow), a tombstone starts the cooldown now
      // instead of after the store's own heldUntil; if it is not ours any more this changes nothing.
      this.store.release(lease.workerId, lease.token, this.leaseMs).catch(() => undefined);
    }
    const event: LeaseLostEvent =
      this.lastRenewError === undefined ? { workerId: lease.workerId, reason } : { workerId: lease.workerId, reason, error: this.lastRenewError };
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A throwing listener must not keep the others from hearing about the loss.
      }
    }
    if (this.recover && !this.closed) this.scheduleRecovery();
  }

  /**
   * After a loss, tries to lease again (a fresh ID: the lost one cools down) with backoff, until it
   * holds one, or release()/close() is called. The store's own rules keep it safe: a cooling or
   * wiped store grants nothing too early.
   */
  private scheduleRecovery(): void {
    if (this.recoveryTimer || this.closed) return;
    const delay = Math.min(this.renewEveryMs, RECOVERY_FIRST_MS * 2 ** this.recoveryAttempt);
    this.recoveryAttempt++;
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = null;
      if (this.closed || this.healthy()) return;
      this.acquire().then(
        () => {
          this.recoveryAttempt = 0;
        },
        () => this.scheduleRecovery(),
      );
    }, delay * (0.75 + Math.random() * 0.5));
    this.recoveryTimer.unref();
  }

  private stopRecovery(): void {
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    this.recoveryTimer = null;
    this.recoveryAttempt = 0;
  }
}
