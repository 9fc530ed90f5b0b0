import type { EntityManager } from '@mikro-orm/postgresql';

export type Json = unknown;

export interface WorkflowRow {
  id: number;
  key: string;
  title: string | null;
  enabled: boolean;
  description: string | null;
  type: string;
  triggerTitle: string | null;
  config: Record<string, unknown>;
  invalid: boolean;
  executed: number;
  allExecuted: number;
  /** True for the current version of a key; null (or false when a revision was made with `current: false`) for the others, as NocoBase. */
  current: boolean | null;
  sync: boolean;
  options: Record<string, unknown>;
  createdById: number | null;
  updatedById: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface NodeRow {
  id: number;
  key: string;
  title: string | null;
  upstreamId: number | null;
  branchIndex: number | null;
  downstreamId: number | null;
  type: string;
  config: Record<string, unknown>;
  workflowId: number;
  createdAt: string;
  updatedAt: string;
}

export interface ExecutionRow {
  id: number;
  workflowId: number;
  key: string | null;
  eventKey: string;
  context: Record<string, unknown> | null;
  status: number | null;
  reason: string | null;
  dispatched: boolean;
  parentExecutionId: number | null;
  stack: unknown;
  output: unknown;
  manually: boolean | null;
  /** The cluster node (NODE_ID) that last claimed it: where it runs or ran; null until one has. */
  clusterNodeId: string | null;
  startedAt: string | null;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface JobRow {
  id: number;
  executionId: number;
  nodeId: number | null;
  nodeKey: string | null;
  upstreamId: number | null;
  status: number;
  meta: Record<string, unknown> | null;
  result: unknown;
  log: unknown;
  startedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Position in the execution's journal (not returned by the API). */
  seq: number;
}

/** A workflow with its nodes, as an execution runs it (the version it started with). */
export interface FlowDefinition {
  readonly workflow: WorkflowRow;
  readonly nodes: readonly NodeRow[];
}

/** Where the engine gets records and collections of an app (AppData fits). */
export interface RecordsPort {
  readonly collections: {
    get(name: string): import('../data/index.js').CollectionMeta | undefined;
    require(name: string): import('../data/index.js').CollectionMeta;
  };
  readonly records: import('../data/index.js').RecordRepository;
}

/**
 * How one run of an execution on this node ended: a final status (`resolved`, `failed`, `error`,
 * `aborted`, `canceled`, `rejected`, `retry_needed`), `parked` (a delay: resumed later), `stopped`
 * (cancelled or its lease lost: another node may go on) or `paused` (a database failure: resumed after the lease).
 */
export type ExecutionOutcome = 'resolved' | 'failed' | 'error' | 'aborted' | 'canceled' | 'rejected' | 'retry_needed' | 'parked' | 'stopped' | 'paused';

/** Told when this node starts and ends a run of a queued execution (metrics). */
export interface ExecutionObserver {
  started(e: { readonly app: string; readonly workflowId: number }): void;
  ended(e: { readonly app: string; readonly workflowId: number; readonly outcome: ExecutionOutcome; readonly seconds: number }): void;
}

export interface WorkflowSettings {
  /** How long a claimed execution stays this worker's without a step commit or heartbeat. */
  readonly leaseMs: number;
  /** How often stuck QUEUEING and lease-expired executions are re-enqueued. */
  readonly sweepMs: number;
  /** How often schedules are looked at. */
  readonly scheduleTickMs: number;
  /** Upper bound of a sync (in-request) execution. */
  readonly syncTimeoutMs: number;
  /** Executions one workflow:process node runs at once. */
  readonly concurrency: number;
  /** Age after which a QUEUEING execution is considered lost by the sweep. */
  readonly queueingGraceMs: number;
  /** Internal hosts, addresses and CIDRs the request node may reach anyway (WORKFLOW_REQUEST_ALLOW). */
  readonly requestAllow?: readonly string[];
  /** Upper bound of one request attempt (WORKFLOW_REQUEST_MAX_TIMEOUT). */
  readonly requestMaxTimeoutMs?: number;
}

export type Em = EntityManager;
