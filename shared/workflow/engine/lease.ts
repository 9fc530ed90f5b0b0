import { executionRow } from '../rows.js';
import type { WorkflowStore } from '../store.js';
import type { Em, ExecutionRow } from '../types.js';
import { runSql } from '../../sql/index.js';

/** The execution is no longer this worker's (cancelled, finished, or claimed by another after our lease ran out). */
export class StaleLeaseError extends Error {
  constructor(readonly executionId: number) {
    super(`execution ${executionId}: the lease is no longer this worker's; its step was rolled back`);
    this.name = 'StaleLeaseError';
  }
}

export interface Claim {
  readonly execution: ExecutionRow;
  readonly fence: number;
}

/**
 * The execution's lease lives on its own row: owner, expiry and a fence that grows with every claim.
 * Claiming is one conditional UPDATE (QUEUEING → STARTED, or STARTED whose lease ran out / whose delay
 * is due), so two workers never both win. Every step then starts its transaction with `guard`, which
 * extends the lease only WHERE the fence is still ours and the execution still runs; its row lock
 * also makes a concurrent claim wait for our commit, after which the claim sees the fresh lease.
 */
export class Leases {
  constructor(private readonly store: WorkflowStore, private readonly owner: string, private readonly leaseMs: number) {}

  /**
   * SKIP LOCKED: a row locked by a step in progress (or by a paused worker's open transaction, until
   * PostgreSQL ends it, see `guard`) is not claimable now; the claim answers null at once instead of
   * making this worker's queue slot wait behind that lock.
   */
  async claim(em: Em, id: number): Promise<Claim | null> {
    return this.claimWith(em, id, '', []);
  }

  /**
   * The claim as the first statement of a batch's transaction (StepBatch.claim): it also sets the
   * transaction's idle timeout, as `guard` does; the claim commits with the batch's first steps.
   */
  async claimInTransaction(tx: Em, id: number): Promise<Claim | null> {
    return this.claimWith(tx, id, `, set_config('idle_in_transaction_session_timeout', ?, true) as "cb_idle"`, [this.idleTimeout()]);
  }

  private idleTimeout(): string {
    return `${Math.max(1000, Math.ceil(this.leaseMs))}`;
  }

  private async claimWith(em: Em, id: number, returning: string, extra: readonly unknown[]): Promise<Claim | null> {
    const sql = `update ${this.store.executions} set "status" = 0, "dispatched" = true, "cb_lease_owner" = ?, "cb_node" = ?,
      "cb_lease_expires_at" = now() + make_interval(secs => ?), "cb_fence" = "cb_fence" + 1,
      "startedAt" = coalesce("startedAt", now()), "updatedAt" = now()
      where "id" = (select "id" from ${this.store.executions} where "id" = ?
        and ("status" is null or ("status" = 0 and ("cb_lease_expires_at" is null or "cb_lease_expires_at" <= now())))
        for update skip locked)
      returning *${returning}`;
    const { rows } = await runSql<Record<string, unknown>>(em, sql, [this.owner, this.owner, this.leaseMs / 1000, id, ...extra]);
    return rows[0] ? { execution: executionRow(rows[0]), fence: Number(rows[0].cb_fence) } : null;
  }

  /**
   * First statements of every step's transaction: throws StaleLeaseError (rolling the step back) when
   * the lease is gone. The transaction also gets an idle timeout of one lease: if this process stops
   * mid-step (GC pause, SIGSTOP, a hung event loop), PostgreSQL ends its session, releasing the row lock
   * so another worker can claim the execution once the lease has run out; this process's later commit
   * then fails and nothing of the step is kept.
   */
  async guard(tx: Em, id: number, fence: number): Promise<void> {
    // One statement: the timeout is set (SET LOCAL's equivalent, `set_config(…, true)`) by the RETURNING
    // of the row the fence check updates; no row means a stale lease, and the transaction rolls back.
    await this.renew(tx, id, fence, `returning set_config('idle_in_transaction_session_timeout', ?, true)`, [this.idleTimeout()]);
  }

  /** Extends the lease while it is still ours (the heartbeat between steps); else StaleLeaseError. */
  async renew(em: Em, id: number, fence: number, returning = '', extra: readonly unknown[] = []): Promise<void> {
    const sql = `update ${this.store.executions} set "cb_lease_expires_at" = now() + make_interval(secs => ?), "updatedAt" = now()
      where "id" = ? and "cb_fence" = ? and "status" = 0 and "cb_lease_owner" = ? ${returning}`;
    const { affected } = await runSql(em, sql, [this.leaseMs / 1000, id, fence, this.owner, ...extra]);
    if (affected !== 1) throw new StaleLeaseError(id);
  }

  /** Ends the execution (in a guarded transaction). */
  async finish(tx: Em, id: number, status: number, output?: unknown): Promise<void> {
    const sql = `update ${this.store.executions} set "status" = ?, "output" = coalesce(?::jsonb, "output"), "cb_lease_owner" = null, "cb_lease_expires_at" = null, "updatedAt" = now() where "id" = ?`;
    await runSql(tx, sql, [status, output === undefined ? null : JSON.stringify(output), id]);
  }

  /** A delay: the execution stays STARTED with no owner until `resumeAt` (epoch ms), when a claim may take it again. */
  async park(tx: Em, id: number, resumeAt: number): Promise<void> {
    const sql = `update ${this.store.executions} set "cb_lease_owner" = null, "cb_lease_expires_at" = to_timestamp(?::double precision / 1000), "updatedAt" = now() where "id" = ?`;
    await runSql(tx, sql, [resumeAt, id]);
  }

  /** Milliseconds until a parked execution is due (0 when due or not parked). */
  async dueIn(em: Em, id: number): Promise<number> {
    const sql = `select greatest(0, extract(epoch from ("cb_lease_expires_at" - now())) * 1000)::float8 as "ms" from ${this.store.executions}
      where "id" = ? and "status" = 0 and "cb_lease_owner" is null`;
    const { rows } = await runSql<{ ms: number }>(em, sql, [id]);
    return rows[0] ? Number(rows[0].ms) : 0;
  }

  /** Executions a sweep should enqueue again: QUEUEING for longer than `graceMs`, or STARTED with a lease (or delay) that ran out. */
  /**
   * `fresh`: QUEUEING for less than three grace periods (likely still waiting in a long queue, or its
   * publish was lost); the others waited longer (their message may sit with a dead consumer) or lost
   * their lease.
   */
  async stuck(em: Em, graceMs: number, limit = 500): Promise<Array<{ id: number; fresh: boolean }>> {
    const sql = `select "id", ("status" is null and "createdAt" >= now() - make_interval(secs => ?)) as "fresh" from ${this.store.executions}
      where ("status" is null and "createdAt" < now() - make_interval(secs => ?)) or ("status" = 0 and "cb_lease_expires_at" <= now())
      order by "id" limit ?`;
    const { rows } = await runSql<{ id: string; fresh: boolean }>(em, sql, [(3 * graceMs) / 1000, graceMs / 1000, limit]);
    return rows.map((r) => ({ id: Number(r.id), fresh: r.fresh }));
  }
}
