import type { EntityManager } from '@mikro-orm/postgresql';
import { EXECUTION_STATUS, JOB_STATUS } from '../constants.js';
import { instructionOf } from '../instructions/registry.js';
import type { BranchRunner, NodeContext, Outcome } from '../instructions/types.js';
import type { RequestPolicy } from '../request/target-policy.js';
import type { NewJob, WorkflowStore } from '../store.js';
import type { ExecutionRow, FlowDefinition, JobRow, NodeRow, RecordsPort } from '../types.js';
import { StaleLeaseError } from './lease.js';
import { BatchRolledBack } from './step-batch.js';
import { isTransient } from './transient.js';

/** The execution waits (delay) until `resumeAt` (epoch ms); the step that parked it has committed. */
export class Parked extends Error {
  constructor(readonly resumeAt: number) {
    super('execution parked');
  }
}

/** An `end` node finished the execution with this status. */
class Ended extends Error {
  constructor(readonly status: number) {
    super('execution ended');
  }
}

export interface RunnerOptions {
  readonly definition: FlowDefinition;
  readonly execution: ExecutionRow;
  /** Jobs already committed, in journal order: replayed, never run again. */
  readonly journal: readonly JobRow[];
  readonly store: WorkflowStore;
  readonly data: RecordsPort;
  readonly aesKey?: Buffer;
  readonly requestPolicy?: RequestPolicy;
  readonly signal: AbortSignal;
  readonly sync: boolean;
  /**
   * Runs one step in its own transaction, fenced (async) or inside the request's transaction (sync),
   * and runs the work handed to `after` once it has committed.
   */
  step<T>(fn: (tx: EntityManager, after: (fn: () => Promise<void>) => void) => Promise<T>): Promise<T>;
  /** Commits the steps run so far, before work outside the database (when steps share transactions). */
  flush?(): Promise<void>;
  /** How jobs are written (default: the store, one statement each; a batch of steps queues inserts until its commit). */
  readonly jobs?: JobWriter;
  /** Parks the execution until `resumeAt` inside the step's transaction (async only). */
  park(tx: EntityManager, resumeAt: number): Promise<void>;
}

/** Writes an execution's jobs inside a step's transaction. */
export interface JobWriter {
  insert(tx: EntityManager, job: NewJob): Promise<JobRow>;
  update(tx: EntityManager, id: number, status: number, result?: unknown): Promise<void>;
}

export type RunEnd = { readonly status: number } | { readonly parkedUntil: number };

/**
 * Walks a workflow's node graph for one execution. Every node's job is committed by `step` together
 * with the node's effect. A resumed execution replays its journal: the walk is deterministic given
 * the committed results (branch choices, loop lengths), so each committed job is matched to the node
 * the walk reaches, in order, and only the nodes after the last committed job run for real.
 */
export class ExecutionRunner implements BranchRunner {
  private cursor = 0;
  private seq: number;
  private readonly jobsMap: Record<string, unknown> = {};
  private scopes: Record<string, unknown> = {};
  private readonly byId: Map<number, NodeRow>;
  /** The latest job of each node in this execution: a new job's upstreamId is its upstream node's job. */
  private readonly lastJob = new Map<number, number>();

  private readonly jobs: JobWriter;

  constructor(private readonly o: RunnerOptions) {
    this.jobs = o.jobs ?? { insert: (tx, job) => o.store.insertJob(tx, job), update: (tx, id, status, result) => o.store.updateJob(tx, id, status, result) };
    this.byId = new Map(o.definition.nodes.map((n) => [n.id, n]));
    this.seq = o.journal.reduce((max, j) => Math.max(max, j.seq + 1), 0);
  }

  async run(): Promise<RunEnd> {
    const head = this.o.definition.nodes.find((n) => n.upstreamId === null);
    try {
      return { status: head ? await this.runChain(head) : EXECUTION_STATUS.RESOLVED };
    } catch (err) {
      if (err instanceof Ended) return { status: err.status };
      if (err instanceof Parked) return { parkedUntil: err.resumeAt };
      throw err;
    }
  }

  branchStarts(node: NodeRow): NodeRow[] {
    return this.o.definition.nodes.filter((n) => n.upstreamId === node.id && n.branchIndex !== null).sort((a, b) => a.branchIndex! - b.branchIndex!);
  }

  async runBranch(start: NodeRow, scopes: Record<string, unknown> = {}): Promise<number> {
    const saved = this.scopes;
    this.scopes = { ...saved, ...scopes };
    try {
      return await this.runChain(start);
    } finally {
      this.scopes = saved;
    }
  }

  private async runChain(start: NodeRow): Promise<number> {
    let node: NodeRow | undefined = start;
    while (node) {
      const status = await this.runNode(node);
      if (status !== JOB_STATUS.RESOLVED) return status;
      node = node.downstreamId !== null ? this.byId.get(node.downstreamId) : undefined;
    }
    return JOB_STATUS.RESOLVED;
  }

  /** `seq`: the journal position of the node's job (part of the request node's Idempotency-Key). */
  private context(node: NodeRow, tx: EntityManager, after: (fn: () => Promise<void>) => void, seq = -1): NodeContext {
    return {
      node,
      execution: this.o.execution,
      scope: this.scope(),
      tx,
      data: this.o.data,
      ...(this.o.aesKey ? { aesKey: this.o.aesKey } : {}),
      ...(this.o.requestPolicy ? { requestPolicy: this.o.requestPolicy } : {}),
      signal: this.o.signal,
      idempotencyKey: `${this.o.execution.id}:${node.id}:${seq}`,
      sync: this.o.sync,
      deferAfterCommit: after,
    };
  }

  private scope(): Record<string, unknown> {
    return {
      $context: this.o.execution.context ?? {},
      $jobsMapByNodeKey: this.jobsMap,
      $scopes: this.scopes,
      $system: { now: new Date().toISOString() },
      $env: {},
    };
  }

  private replayed(node: NodeRow): JobRow | undefined {
    const next = this.o.journal[this.cursor];
    if (next && next.nodeId === node.id) {
      this.cursor += 1;
      return next;
    }
    if (next) throw new Error(`execution ${this.o.execution.id}: journal job ${next.id} (node ${next.nodeId}) does not match node ${node.id}; the definition changed under a running execution`);
    return undefined;
  }

  private async runNode(node: NodeRow): Promise<number> {
    if (this.o.signal.aborted) throw this.o.signal.reason ?? new StaleLeaseError(this.o.execution.id);
    const instruction = instructionOf(node.type);
    let job = this.replayed(node);
    if (!job) job = await this.commitNew(node, (ctx) => (instruction ? instruction.run(ctx) : Promise.reject(new Error(`Node type "${node.type}" is not registered`))));
    this.lastJob.set(node.id, job.id);
    if (job.status === JOB_STATUS.PENDING && instruction && !instruction.branches) {
      const pending: JobRow = job;
      const outcome = await this.o.step(async (tx, after) => {
        const out = instruction.resume ? await instruction.resume(this.context(node, tx, after, pending.seq), pending) : ({ status: JOB_STATUS.RESOLVED } satisfies Outcome);
        if ('wait' in out) {
          await this.o.park(tx, out.wait);
          return out;
        }
        await this.jobs.update(tx, pending.id, out.status, out.result);
        return out;
      });
      if ('wait' in outcome) throw new Parked(outcome.wait);
      job = { ...pending, status: outcome.status, result: outcome.result === undefined ? pending.result : outcome.result };
    }
    this.jobsMap[node.key] = job.result;
    let status = job.status;
    if (instruction?.branches) {
      const out = await instruction.branches(this.context(node, undefined as never, () => undefined), job, this);
      const result = out.result === undefined ? job.result : out.result;
      if (out.status !== job.status || JSON.stringify(result) !== JSON.stringify(job.result)) {
        const id = job.id;
        await this.o.step((tx) => this.jobs.update(tx, id, out.status, result));
      }
      this.jobsMap[node.key] = result;
      status = out.status;
    }
    if (node.type === 'end') throw new Ended(status);
    return status;
  }

  /** Runs a node for the first time: effect and job row in one step; an error becomes an ERROR job (its effect rolled back). */
  private async commitNew(node: NodeRow, run: (ctx: NodeContext) => Promise<Outcome>): Promise<JobRow> {
    const seq = this.seq++;
    // The job chain: the job of the node this one follows (the branching node's job for a branch head).
    const upstreamId = node.upstreamId !== null ? (this.lastJob.get(node.upstreamId) ?? null) : null;
    const insert = (tx: EntityManager, out: Outcome) =>
      this.jobs.insert(tx, { executionId: this.o.execution.id, node, upstreamId, status: out.status, result: out.result ?? null, meta: out.meta, seq });
    try {
      // Work outside the database (HTTP) runs before the step, so no transaction or row lock is held
      // during it; only its outcome commits with the job. A crash in between runs it again with the
      // same idempotency key (same journal position).
      const outside = instructionOf(node.type)?.outsideTransaction && !this.o.sync;
      if (outside) await this.o.flush?.();
      const early = outside ? await run(this.context(node, undefined as never, () => undefined, seq)) : undefined;
      const job = await this.o.step(async (tx, after) => {
        const out = early ?? (await run(this.context(node, tx, after, seq)));
        const row = await insert(tx, out);
        const resumeAt = out.meta?.resumeAt;
        if (out.status === JOB_STATUS.PENDING && typeof resumeAt === 'number' && !instructionOf(node.type)?.branches) await this.o.park(tx, resumeAt);
        return row;
      });
      if (job.status === JOB_STATUS.PENDING && typeof job.meta?.resumeAt === 'number' && !instructionOf(node.type)?.branches) throw new Parked(job.meta.resumeAt as number);
      return job;
    } catch (err) {
      if (err instanceof Parked || err instanceof StaleLeaseError || err instanceof BatchRolledBack || this.o.signal.aborted || this.o.sync || isTransient(err)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      return this.o.step((tx) => insert(tx, { status: JOB_STATUS.ERROR, result: { message } }));
    }
  }
}
