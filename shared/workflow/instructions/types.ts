import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestPolicy } from '../request/target-policy.js';
import type { ExecutionRow, JobRow, NodeRow, RecordsPort } from '../types.js';

/** What a node's run ends with: a job status (JOB_STATUS), its result, and optional meta. */
export interface Outcome {
  readonly status: number;
  readonly result?: unknown;
  readonly meta?: Record<string, unknown>;
}

/** What an instruction sees while running one node of one execution. */
export interface NodeContext {
  readonly node: NodeRow;
  readonly execution: ExecutionRow;
  /** Variables: $context, $jobsMapByNodeKey, $scopes, $system, $env. */
  readonly scope: Record<string, unknown>;
  /** The step's transaction: a node's database effect commits with its job row, or not at all. */
  readonly tx: EntityManager;
  readonly data: RecordsPort;
  readonly aesKey?: Buffer;
  /** Aborted when the execution is cancelled or this worker loses it. */
  readonly signal: AbortSignal;
  /** Stable across retries of this node in this execution (request node's Idempotency-Key). */
  readonly idempotencyKey: string;
  /** Which hosts the request node may reach (default: public ones only). */
  readonly requestPolicy?: RequestPolicy;
  /** True inside a sync (in-request) execution: no durable waits. */
  readonly sync: boolean;
  /** Hands work to run after the step commits (records written by create/update/destroy trigger workflows). */
  deferAfterCommit(fn: () => Promise<void>): void;
}

/** Runs the branches of a branching node (condition with branches, multi-conditions, loop, parallel). */
export interface BranchRunner {
  /** The child nodes of `node` that start branches, by branchIndex. */
  branchStarts(node: NodeRow): NodeRow[];
  /** Runs the branch starting at `start` to its end; answers its final job status. */
  runBranch(start: NodeRow, scopes?: Record<string, unknown>): Promise<number>;
}

export interface Instruction {
  /** A config problem, as NocoBase words it (400 on nodes:create/update), else undefined. */
  validate?(config: Record<string, unknown>): string | undefined;
  /**
   * The node's work touches no database (an HTTP call): it runs before its step's transaction opens,
   * with no `tx`, so a slow call holds no connection or lock. Ignored in sync runs.
   */
  readonly outsideTransaction?: boolean;
  /** Does the node's work; for branching nodes, what the node's job holds before its branches run. */
  run(ctx: NodeContext): Promise<Outcome>;
  /** A PENDING job taken up again (delay): its outcome, or 'wait' with the epoch ms it is due. */
  resume?(ctx: NodeContext, job: JobRow): Promise<Outcome | { wait: number }>;
  /** Branching nodes: runs the branches after the node's job committed (or was replayed); the node's final outcome. */
  branches?(ctx: NodeContext, job: JobRow, runner: BranchRunner): Promise<Outcome>;
}
