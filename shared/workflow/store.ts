import { randomBytes } from 'node:crypto';
import { executionRow, jobRow, nodeRow, workflowRow } from './rows.js';
import type { Em, ExecutionRow, FlowDefinition, JobRow, NodeRow, WorkflowRow } from './types.js';
import { qualified, quoteIdent, runSql } from '../sql/index.js';

/** A jsonb parameter (`?::jsonb`): undefined and null both store JSON null. */
export const jsonb = (v: unknown): string => JSON.stringify(v === undefined ? null : v);

/** What a job is inserted with. */
export interface NewJob {
  readonly executionId: number;
  readonly node: NodeRow;
  readonly upstreamId: number | null;
  readonly status: number;
  readonly result: unknown;
  readonly meta?: unknown;
  readonly seq: number;
}

/** Parsed JSON with object keys in jsonb's order (shorter keys first, then by their UTF-8 bytes). */
export function asJsonb(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asJsonb);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = asJsonb((value as Record<string, unknown>)[k]);
  return out;
}

/** NocoBase's random 11-character keys for workflows and nodes. */
export function randomKey(): string {
  return BigInt(`0x${randomBytes(8).toString('hex')}`).toString(36).slice(0, 11).padStart(11, '0');
}

/**
 * SQL of the four workflow tables of one app schema. Every value is a bound parameter; callers pass
 * the EntityManager (inside their transaction when they have one).
 */
export class WorkflowStore {
  readonly workflows: string;
  readonly nodes: string;
  readonly executions: string;
  readonly jobs: string;

  constructor(readonly schema: string, private readonly ids: { next(): number }) {
    this.workflows = qualified(schema, 'workflows');
    this.nodes = qualified(schema, 'flow_nodes');
    this.executions = qualified(schema, 'executions');
    this.jobs = qualified(schema, 'jobs');
  }

  nextId(): number {
    return this.ids.next();
  }

  /**
   * Of the records of `meta` with primary keys `keys`, the keys of those matching the compiled filter
   * `where` (a workflow's trigger condition, checked inside the write's transaction).
   */
  async keysMatching(em: Em, meta: { schema: string; table: string; primaryKey: string }, keys: unknown[], where: { sql: string; params: readonly unknown[] }): Promise<unknown[]> {
    const pk = quoteIdent(meta.primaryKey);
    const sql = `select ${pk} as k from ${qualified(meta.schema, meta.table)} where ${pk} = any(?) and (${where.sql})`;
    const { rows } = await runSql<{ k: unknown }>(em, sql, [keys, ...where.params]);
    return rows.map((r) => r.k);
  }

  async workflow(em: Em, id: unknown): Promise<WorkflowRow | null> {
    const { rows } = await runSql<Record<string, unknown>>(em, `select * from ${this.workflows} where "id" = ?`, [idParam(id)]);
    return rows[0] ? workflowRow(rows[0]) : null;
  }

  async insertWorkflow(em: Em, w: Omit<WorkflowRow, 'createdAt' | 'updatedAt'>): Promise<WorkflowRow> {
    const sql = `insert into ${this.workflows} ("id","key","title","enabled","description","type","triggerTitle","config","invalid","executed","allExecuted","current","sync","options","createdById","updatedById")
      values (?,?,?,?,?,?,?,?::jsonb,?,?,?,?,?,?::jsonb,?,?) returning *`;
    const params = [w.id, w.key, w.title, w.enabled, w.description, w.type, w.triggerTitle, jsonb(w.config), w.invalid, w.executed, w.allExecuted, w.current, w.sync, jsonb(w.options), w.createdById, w.updatedById];
    return workflowRow((await runSql<Record<string, unknown>>(em, sql, params)).rows[0]!);
  }

  async updateWorkflow(em: Em, id: number, values: Partial<WorkflowRow>): Promise<WorkflowRow | null> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [k, v] of Object.entries(values)) {
      const isJson = k === 'config' || k === 'options';
      sets.push(`"${k}" = ?${isJson ? '::jsonb' : ''}`);
      params.push(isJson ? jsonb(v) : v);
    }
    sets.push('"updatedAt" = now()');
    const { rows } = await runSql<Record<string, unknown>>(em, `update ${this.workflows} set ${sets.join(', ')} where "id" = ? returning *`, [...params, id]);
    return rows[0] ? workflowRow(rows[0]) : null;
  }

  async nodesOf(em: Em, workflowId: number): Promise<NodeRow[]> {
    const { rows } = await runSql<Record<string, unknown>>(em, `select * from ${this.nodes} where "workflowId" = ? order by "id"`, [workflowId]);
    return rows.map(nodeRow);
  }

  async node(em: Em, id: unknown): Promise<NodeRow | null> {
    const { rows } = await runSql<Record<string, unknown>>(em, `select * from ${this.nodes} where "id" = ?`, [idParam(id)]);
    return rows[0] ? nodeRow(rows[0]) : null;
  }

  async insertNode(em: Em, n: Omit<NodeRow, 'createdAt' | 'updatedAt'>): Promise<NodeRow> {
    const sql = `insert into ${this.nodes} ("id","key","title","upstreamId","branchIndex","downstreamId","type","config","workflowId") values (?,?,?,?,?,?,?,?::jsonb,?) returning *`;
    const params = [n.id, n.key, n.title, n.upstreamId, n.branchIndex, n.downstreamId, n.type, jsonb(n.config), n.workflowId];
    return nodeRow((await runSql<Record<string, unknown>>(em, sql, params)).rows[0]!);
  }

  async updateNode(em: Em, id: number, values: Partial<NodeRow>): Promise<NodeRow | null> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [k, v] of Object.entries(values)) {
      sets.push(`"${k}" = ?${k === 'config' ? '::jsonb' : ''}`);
      params.push(k === 'config' ? jsonb(v) : v);
    }
    sets.push('"updatedAt" = now()');
    const { rows } = await runSql<Record<string, unknown>>(em, `update ${this.nodes} set ${sets.join(', ')} where "id" = ? returning *`, [...params, id]);
    return rows[0] ? nodeRow(rows[0]) : null;
  }

  async deleteNode(em: Em, id: number): Promise<void> {
    await runSql(em, `delete from ${this.nodes} where "id" = ?`, [id]);
  }

  async definition(em: Em, workflowId: number): Promise<FlowDefinition | null> {
    const workflow = await this.workflow(em, workflowId);
    return workflow ? { workflow, nodes: await this.nodesOf(em, workflowId) } : null;
  }

  /** Enabled workflows of a trigger type (current or not: an enabled older version still fires, as NocoBase). */
  async enabled(em: Em): Promise<WorkflowRow[]> {
    const { rows } = await runSql<Record<string, unknown>>(em, `select * from ${this.workflows} where "enabled" order by "id"`, []);
    return rows.map(workflowRow);
  }

  async insertExecution(em: Em, e: { id: number; workflow: WorkflowRow; eventKey: string; context: unknown; manually?: boolean; status?: number | null }): Promise<ExecutionRow> {
    const sql = `insert into ${this.executions} ("id","workflowId","key","eventKey","context","status","manually") values (?,?,?,?,?::jsonb,?,?) returning *`;
    const row = (await runSql<Record<string, unknown>>(em, sql, [e.id, e.workflow.id, e.workflow.key, e.eventKey, jsonb(e.context), e.status ?? null, e.manually ?? null])).rows[0]!;
    await this.markExecuted(em, e.workflow);
    return executionRow(row);
  }

  /** Inserts unless the eventKey exists (a schedule tick fired by two nodes): the new row, or null. */
  async insertExecutionOnce(em: Em, e: { id: number; workflow: WorkflowRow; eventKey: string; context: unknown }): Promise<ExecutionRow | null> {
    const sql = `insert into ${this.executions} ("id","workflowId","key","eventKey","context") values (?,?,?,?,?::jsonb) on conflict ("eventKey") do nothing returning *`;
    const { rows } = await runSql<Record<string, unknown>>(em, sql, [e.id, e.workflow.id, e.workflow.key, e.eventKey, jsonb(e.context)]);
    if (!rows[0]) return null;
    await this.markExecuted(em, e.workflow);
    return executionRow(rows[0]);
  }

  /**
   * The first execution makes the workflow immutable (`executed` > 0). Only that first one writes the
   * workflow row: incrementing it per execution would make every triggering write of the cluster wait
   * on one hot row lock. The counts the API shows are counted from `executions` (see `withCounts`).
   */
  private async markExecuted(em: Em, workflow: WorkflowRow): Promise<void> {
    if (workflow.executed > 0 || this.knownExecuted.has(workflow.id)) return;
    const { affected } = await runSql(em, `update ${this.workflows} set "executed" = 1, "allExecuted" = greatest("allExecuted", 1) where "id" = ? and "executed" = 0`, [workflow.id]);
    // No row: `executed` was already committed (an uncommitted mark would have made this wait for its
    // outcome), and it never goes back to 0: later executions of this node skip the statement, even
    // while its cached workflow row still says 0.
    if (affected === 0) {
      if (this.knownExecuted.size >= 10_000) this.knownExecuted.clear();
      this.knownExecuted.add(workflow.id);
    }
  }

  /** Workflows whose `executed` mark is known to be committed (see markExecuted). */
  private readonly knownExecuted = new Set<number>();

  /** `executed` (this version) and `allExecuted` (every version of the key), counted from executions. */
  async withCounts(em: Em, rows: WorkflowRow[]): Promise<WorkflowRow[]> {
    if (rows.length === 0) return rows;
    const sql = `select w."id", (select count(*) from ${this.executions} e where e."workflowId" = w."id") as "executed",
      (select count(*) from ${this.executions} e where e."key" = w."key") as "allExecuted" from ${this.workflows} w where w."id" = any(?)`;
    const { rows: counts } = await runSql<{ id: string; executed: string; allExecuted: string }>(em, sql, [rows.map((r) => r.id)]);
    const byId = new Map(counts.map((c) => [Number(c.id), c]));
    return rows.map((r) => {
      const c = byId.get(r.id);
      return c ? { ...r, executed: Number(c.executed), allExecuted: Number(c.allExecuted) } : r;
    });
  }

  /** Seconds the oldest QUEUEING execution has waited (0 when none waits): the backlog's age. */
  async oldestQueuedSeconds(em: Em): Promise<number> {
    const sql = `select coalesce(extract(epoch from now() - min("createdAt")), 0)::float8 as "s" from ${this.executions} where "status" is null`;
    const { rows } = await runSql<{ s: number }>(em, sql, []);
    return Math.max(0, Number(rows[0]?.s ?? 0));
  }

  async execution(em: Em, id: unknown): Promise<ExecutionRow | null> {
    const { rows } = await runSql<Record<string, unknown>>(em, `select * from ${this.executions} where "id" = ?`, [idParam(id)]);
    return rows[0] ? executionRow(rows[0]) : null;
  }

  async jobsOf(em: Em, executionId: number): Promise<JobRow[]> {
    const { rows } = await runSql<Record<string, unknown>>(em, `select * from ${this.jobs} where "executionId" = ? order by "cb_seq"`, [executionId]);
    return rows.map(jobRow);
  }

  async job(em: Em, id: unknown): Promise<JobRow | null> {
    const { rows } = await runSql<Record<string, unknown>>(em, `select * from ${this.jobs} where "id" = ?`, [idParam(id)]);
    return rows[0] ? jobRow(rows[0]) : null;
  }

  /**
   * A job as `insertJob` would return it, built without a statement, and the parameters that insert
   * it (`insertJobs`): a batch of steps inserts its jobs at commit. JSON values are given back as
   * PostgreSQL would read them from jsonb (JSON types, jsonb's key order), so a job reads the same
   * whether it was just run or replayed from the journal. Timestamps are this node's clock.
   */
  newJob(j: NewJob): { row: JobRow; params: unknown[] } {
    const id = this.ids.next();
    const meta = j.meta === undefined ? null : jsonb(j.meta);
    const result = jsonb(j.result);
    const now = new Date().toISOString();
    const row: JobRow = {
      id, executionId: j.executionId, nodeId: j.node.id, nodeKey: j.node.key, upstreamId: j.upstreamId, status: j.status,
      meta: meta === null ? null : (asJsonb(JSON.parse(meta)) as Record<string, unknown> | null), result: asJsonb(JSON.parse(result)), log: null,
      startedAt: now, createdAt: now, updatedAt: now, seq: j.seq,
    };
    return { row, params: [id, j.executionId, j.node.id, j.node.key, j.upstreamId, j.status, meta, result, j.seq] };
  }

  /** Inserts jobs built by `newJob`, in one statement. */
  async insertJobs(em: Em, jobs: ReadonlyArray<readonly unknown[]>): Promise<void> {
    if (jobs.length === 0) return;
    const values = jobs.map(() => '(?,?,?,?,?,?,?::jsonb,?::jsonb,now(),?)').join(',');
    await runSql(em, `insert into ${this.jobs} ("id","executionId","nodeId","nodeKey","upstreamId","status","meta","result","startedAt","cb_seq") values ${values}`, jobs.flat());
  }

  async insertJob(em: Em, j: NewJob): Promise<JobRow> {
    const sql = `insert into ${this.jobs} ("id","executionId","nodeId","nodeKey","upstreamId","status","meta","result","startedAt","cb_seq") values (?,?,?,?,?,?,?::jsonb,?::jsonb,now(),?) returning *`;
    const params = [this.ids.next(), j.executionId, j.node.id, j.node.key, j.upstreamId, j.status, j.meta === undefined ? null : jsonb(j.meta), jsonb(j.result), j.seq];
    return jobRow((await runSql<Record<string, unknown>>(em, sql, params)).rows[0]!);
  }

  /** Disables and un-currents the other versions of a workflow key (one enabled, current version per key). */
  async retireOtherVersions(em: Em, key: string, id: number, options: { disable: boolean }): Promise<void> {
    const set = options.disable ? '"enabled" = false, "current" = null' : '"current" = null';
    await runSql(em, `update ${this.workflows} set ${set} where "key" = ? and "id" <> ?`, [key, id]);
  }

  async deleteWorkflow(em: Em, id: number): Promise<number> {
    return (await runSql(em, `delete from ${this.workflows} where "id" = ?`, [id])).affected;
  }

  /** Deletes several workflows in one statement; answers the count. */
  async deleteWorkflows(em: Em, ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await runSql(em, `delete from ${this.workflows} where "id" = any(?::int8[])`, [ids.map(String)])).affected;
  }

  /** Deletes the executions matching a compiled condition (from listTable); answers the count. */
  async deleteExecutionsWhere(em: Em, cond: string, params: readonly unknown[]): Promise<number> {
    return (await runSql(em, `delete from ${this.executions} where ${cond}`, [...params])).affected;
  }

  async deleteJob(em: Em, id: number): Promise<void> {
    await runSql(em, `delete from ${this.jobs} where "id" = ?`, [id]);
  }

  /** Queued again from scratch (rerun): no status, no lease. */
  async requeueExecution(em: Em, id: number): Promise<void> {
    await runSql(em, `update ${this.executions} set "status" = null, "cb_lease_owner" = null, "cb_lease_expires_at" = null, "updatedAt" = now() where "id" = ?`, [id]);
  }

  /** A sync execution started (status STARTED) inside its trigger's transaction. */
  async markStarted(em: Em, id: number): Promise<void> {
    await runSql(em, `update ${this.executions} set "status" = 0, "startedAt" = now() where "id" = ?`, [id]);
  }

  async setExecutionStatus(em: Em, id: number, status: number): Promise<void> {
    await runSql(em, `update ${this.executions} set "status" = ?, "updatedAt" = now() where "id" = ?`, [status, id]);
  }

  /**
   * `executions:cancel`: a queued or started execution becomes `aborted` with `reason`, its lease is
   * dropped and its pending jobs aborted; answers false when it was already finished (or missing).
   */
  async cancelExecution(em: Em, id: number, statuses: { aborted: number; reason: string; jobAborted: number; jobPending: number }): Promise<boolean> {
    const sql = `update ${this.executions} set "status" = ?, "reason" = ?, "cb_lease_owner" = null, "cb_lease_expires_at" = null, "updatedAt" = now()
      where "id" = ? and ("status" is null or "status" = 0) returning "id"`;
    const { rows } = await runSql(em, sql, [statuses.aborted, statuses.reason, id]);
    if (rows.length === 0) return false;
    await runSql(em, `update ${this.jobs} set "status" = ?, "updatedAt" = now() where "executionId" = ? and "status" = ?`, [statuses.jobAborted, id, statuses.jobPending]);
    return true;
  }

  async updateJob(em: Em, id: number, status: number, result?: unknown): Promise<void> {
    if (result === undefined) await runSql(em, `update ${this.jobs} set "status" = ?, "updatedAt" = now() where "id" = ?`, [status, id]);
    else await runSql(em, `update ${this.jobs} set "status" = ?, "result" = ?::jsonb, "updatedAt" = now() where "id" = ?`, [status, jsonb(result), id]);
  }
}

/** filterByTk → a bigint parameter; anything not an integer matches nothing. */
export function idParam(id: unknown): string {
  const s = String(id ?? '').trim();
  return /^\d{1,19}$/.test(s) ? s : '-1';
}
