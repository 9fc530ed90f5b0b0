import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../../errors/index.js';
import type { NewJob, WorkflowStore } from '../store.js';
import type { JobRow } from '../types.js';
import type { Claim, Leases } from './lease.js';
import type { JobWriter } from './runner.js';

/**
 * A step failed after earlier steps of the same batch had run: the whole batch was rolled back (their
 * effects and jobs with it), so the execution must run again from its committed journal, one step per
 * transaction (see `processExecution`).
 */
export class BatchRolledBack extends Error {
  constructor(readonly executionId: number, override readonly cause: unknown) {
    super(`execution ${executionId}: a step failed inside a batch of steps; the batch was rolled back (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'BatchRolledBack';
  }
}

export interface StepBatchOptions {
  readonly executionId: number;
  /** The claim's fence; none when this batch makes the claim itself (`claim`). */
  readonly fence?: number;
  readonly leases: Leases;
  readonly store: WorkflowStore;
  readonly fork: () => EntityManager;
  /** At most this many steps share a transaction (1: every step commits on its own). */
  readonly maxSteps: number;
  /** A batch older than this commits before the next step (keep it well under the lease). */
  readonly maxAgeMs: number;
  readonly log: Pick<Logger, 'warn'>;
}

type StepFn<T> = (tx: EntityManager, after: (fn: () => Promise<void>) => void) => Promise<T>;

/**
 * The transactions of one execution's steps. Consecutive steps share one transaction, opened with the
 * lease check (`Leases.guard`: one fence check and lease extension per batch instead of per step) and
 * committed by `commit()` — before work outside the database, before parking, at the end — or when the
 * batch is full or old. Work handed to `after` runs once its batch has committed. A step that throws
 * rolls the open batch back: alone in it, the error is its own (as with one transaction per step);
 * after other steps, it becomes BatchRolledBack.
 */
export class StepBatch {
  private tx: EntityManager | null = null;
  private steps = 0;
  private openedAt = 0;
  private after: Array<() => Promise<void>> = [];
  /** Jobs of the open batch not inserted yet: all go in one statement before the commit. */
  private queued: Array<readonly unknown[]> = [];
  private fence: number | undefined;
  /** Made the claim in its open transaction, not committed yet. */
  private claimPending = false;
  /** Whether this batch's claim (if it made one) has committed. */
  claimCommitted = false;

  constructor(private readonly o: StepBatchOptions) {
    this.fence = o.fence;
  }

  /**
   * Claims the execution as the first statement of this batch's transaction (saving the claim's own
   * commit and the batch's fence check): the claim commits with the steps that follow, or not at all.
   * Null (and nothing open) when the execution is not claimable now.
   */
  async claim(): Promise<Claim | null> {
    if (this.tx) throw new Error(`execution ${this.o.executionId}: claim on a batch that is already open`);
    const tx = this.o.fork();
    await tx.begin();
    let claim: Claim | null;
    try {
      claim = await this.o.leases.claimInTransaction(tx, this.o.executionId);
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      throw err;
    }
    if (!claim) {
      await tx.rollback().catch(() => undefined);
      return null;
    }
    this.tx = tx;
    this.fence = claim.fence;
    this.openedAt = Date.now();
    this.steps = 1;
    this.claimPending = true;
    if (this.steps >= this.o.maxSteps) await this.commit();
    return claim;
  }

  /**
   * The runner's job writes: an insert is queued (the row it answers is built locally, see
   * `WorkflowStore.newJob`), an update first inserts what is queued.
   */
  readonly jobs: JobWriter = {
    insert: async (_tx: EntityManager, job: NewJob): Promise<JobRow> => {
      const { row, params } = this.o.store.newJob(job);
      this.queued.push(params);
      return row;
    },
    update: async (tx: EntityManager, id: number, status: number, result?: unknown): Promise<void> => {
      await this.insertQueued(tx);
      await this.o.store.updateJob(tx, id, status, result);
    },
  };

  private async insertQueued(tx: EntityManager): Promise<void> {
    const jobs = this.queued;
    this.queued = [];
    await this.o.store.insertJobs(tx, jobs);
  }

  async step<T>(fn: StepFn<T>): Promise<T> {
    if (this.tx && (this.steps >= this.o.maxSteps || Date.now() - this.openedAt >= this.o.maxAgeMs)) await this.commit();
    const tx = this.tx ?? (await this.open());
    const shared = this.steps > 0;
    const mine: Array<() => Promise<void>> = [];
    let out: T;
    try {
      out = await fn(tx, (f) => void mine.push(f));
    } catch (err) {
      await this.rollback();
      throw shared ? new BatchRolledBack(this.o.executionId, err) : err;
    }
    this.after.push(...mine);
    this.steps += 1;
    if (this.steps >= this.o.maxSteps) await this.commit();
    return out;
  }

  /**
   * Commits the open batch (if any), then runs its after-commit work. A failed commit of several steps
   * is BatchRolledBack (none of them is kept); of one step, its own error.
   */
  async commit(): Promise<void> {
    const tx = this.tx;
    if (!tx) return;
    const after = this.after;
    const steps = this.steps;
    this.tx = null;
    this.after = [];
    this.steps = 0;
    const claimed = this.claimPending;
    this.claimPending = false;
    try {
      await this.insertQueued(tx);
      await tx.commit();
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      throw steps > 1 ? new BatchRolledBack(this.o.executionId, err) : err;
    }
    if (claimed) this.claimCommitted = true;
    for (const f of after) await f().catch((err) => this.o.log.warn(`after-commit work of execution ${this.o.executionId} failed: ${(err as Error).message}`));
  }

  /** Rolls the open batch back (if any); its after-commit work never runs. */
  async rollback(): Promise<void> {
    const tx = this.tx;
    this.queued = [];
    this.claimPending = false;
    if (!tx) return;
    this.tx = null;
    this.after = [];
    this.steps = 0;
    await tx.rollback().catch(() => undefined);
  }

  private async open(): Promise<EntityManager> {
    const tx = this.o.fork();
    await tx.begin();
    try {
      if (this.fence === undefined) throw new Error(`execution ${this.o.executionId}: a step before the claim`);
      await this.o.leases.guard(tx, this.o.executionId, this.fence);
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      throw err;
    }
    this.tx = tx;
    this.openedAt = Date.now();
    return tx;
  }
}
