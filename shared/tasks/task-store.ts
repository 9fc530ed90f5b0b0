import type { EntityManager } from '@mikro-orm/postgresql';
import type { TaskRow, TaskStatus, TaskType } from './types.js';
import { qualified, runSql } from '../sql/index.js';

/**
 * The `asyncTasks` table of one app schema. Every state change is one conditional UPDATE:
 * - claim: PENDING → RUNNING, or RUNNING with an expired lease → RUNNING again (a takeover), bumping
 *   `fence`; only one claimer's UPDATE matches.
 * - renew / checkpoint / finish: only `WHERE fence = <the runner's fence>`: a paused old runner whose
 *   task was taken over changes nothing (its batch transaction rolls back).
 */

const iso = (c: string) => `to_char("${c}" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "${c}"`;
const COLUMNS = [
  '"id"', '"origin"', '"type"', '"title"', '"params"', '"status"', '"result"', '"createdById"', '"cancelable"',
  '"progressTotal"', '"progressCurrent"', iso('createdAt'), iso('startedAt'), iso('doneAt'), '"ownerNode"', iso('leaseUntil'),
  '"fence"', '"attempts"', '"committedBatch"', '"committedOffset"', '"checkpoint"', '"stopRequested"', '"inputPath"', '"filePath"',
].join(', ');

export interface NewTask {
  readonly id: string;
  readonly origin: string;
  readonly type: TaskType;
  readonly title: string;
  readonly params: Record<string, unknown>;
  readonly createdById: string | number | null;
  readonly inputPath?: string | null;
}

export class TaskStore {
  readonly #table: string;

  constructor(schema: string) {
    this.#table = qualified(schema, 'asyncTasks');
  }

  async insert(em: EntityManager, task: NewTask): Promise<TaskRow> {
    const sql = `insert into ${this.#table} ("id", "origin", "type", "title", "params", "createdById", "inputPath") values (?, ?, ?, ?, ?, ?, ?) returning ${COLUMNS}`;
    const res = await runSql<TaskRow>(em, sql, [task.id, task.origin, task.type, task.title, JSON.stringify(task.params), task.createdById, task.inputPath ?? null]);
    return res.rows[0]!;
  }

  async get(em: EntityManager, id: string): Promise<TaskRow | undefined> {
    return (await runSql<TaskRow>(em, `select ${COLUMNS} from ${this.#table} where "id" = ?`, [id])).rows[0];
  }

  /** Newest first; `createdById` null = every user's (admins). */
  async list(em: EntityManager, createdById: string | number | null, limit: number, offset: number): Promise<{ rows: TaskRow[]; count: number }> {
    const where = createdById === null ? 'true' : '"createdById" = ?';
    const params = createdById === null ? [] : [createdById];
    const rows = await runSql<TaskRow>(em, `select ${COLUMNS} from ${this.#table} where ${where} order by "createdAt" desc, "id" limit ${limit} offset ${offset}`, params);
    const count = await runSql<{ n: string }>(em, `select count(*) as n from ${this.#table} where ${where}`, params);
    return { rows: rows.rows, count: Number(count.rows[0]!.n) };
  }

  /** One user's tasks waiting or running, and finished ones still holding a file under STORAGE_PATH. */
  async usage(em: EntityManager, createdById: string | number): Promise<{ pending: number; stored: number }> {
    const sql =
      `select count(*) filter (where "status" is null or "status" = 0) as pending, ` +
      `count(*) filter (where "status" is not null and "status" <> 0 and "filePath" is not null) as stored from ${this.#table} where "createdById" = ?`;
    const row = (await runSql<{ pending: string; stored: string }>(em, sql, [createdById])).rows[0]!;
    return { pending: Number(row.pending), stored: Number(row.stored) };
  }

  /** Deletes a task that is not running (a pending one was canceled first); the deleted row, or undefined. */
  async remove(em: EntityManager, id: string): Promise<TaskRow | undefined> {
    return (await runSql<TaskRow>(em, `delete from ${this.#table} where "id" = ? and "status" is not null and "status" <> 0 returning ${COLUMNS}`, [id])).rows[0];
  }

  /** Claims a pending task or takes over one whose lease expired; the claimed row, or undefined. */
  async claim(em: EntityManager, id: string, node: string, leaseMs: number): Promise<TaskRow | undefined> {
    const sql =
      `update ${this.#table} set "status" = 0, "ownerNode" = ?, "fence" = "fence" + 1, "attempts" = "attempts" + 1, ` +
      `"leaseUntil" = now() + (? * interval '1 millisecond'), "startedAt" = coalesce("startedAt", now()) ` +
      `where "id" = ? and not "stopRequested" and ("status" is null or ("status" = 0 and "leaseUntil" < now())) returning ${COLUMNS}`;
    return (await runSql<TaskRow>(em, sql, [node, leaseMs, id])).rows[0];
  }

  /** Extends the lease; false when the task is no longer this runner's (taken over or finished). */
  async renew(em: EntityManager, id: string, fence: number, leaseMs: number): Promise<{ owned: boolean; stopRequested: boolean }> {
    const sql = `update ${this.#table} set "leaseUntil" = now() + (? * interval '1 millisecond') where "id" = ? and "fence" = ? and "status" = 0 returning "stopRequested"`;
    const row = (await runSql<{ stopRequested: boolean }>(em, sql, [leaseMs, id, fence])).rows[0];
    return { owned: !!row, stopRequested: row?.stopRequested ?? false };
  }

  /**
   * Records progress (and, for imports, the committed batch/offset and counts) in the caller's
   * transaction, fenced. Throws StaleFence when the task was taken over: the batch must roll back.
   */
  async checkpoint(
    em: EntityManager,
    id: string,
    fence: number,
    progress: { current: number; total?: number | null; batch?: number; offset?: number; checkpoint?: Record<string, unknown> },
  ): Promise<{ stopRequested: boolean }> {
    const sets = ['"progressCurrent" = ?'];
    const params: unknown[] = [progress.current];
    if (progress.total !== undefined) {
      sets.push('"progressTotal" = ?');
      params.push(progress.total);
    }
    if (progress.batch !== undefined) {
      sets.push('"committedBatch" = ?');
      params.push(progress.batch);
    }
    if (progress.offset !== undefined) {
      sets.push('"committedOffset" = ?');
      params.push(progress.offset);
    }
    if (progress.checkpoint !== undefined) {
      sets.push('"checkpoint" = ?');
      params.push(JSON.stringify(progress.checkpoint));
    }
    const sql = `update ${this.#table} set ${sets.join(', ')} where "id" = ? and "fence" = ? and "status" = 0 returning "stopRequested"`;
    const row = (await runSql<{ stopRequested: boolean }>(em, sql, [...params, id, fence])).rows[0];
    if (!row) throw new StaleFence(id, fence);
    return { stopRequested: row.stopRequested };
  }

  /** Gives a running task up (this node stops): its lease ends now, so a sweep hands it to another node. */
  async release(em: EntityManager, id: string, fence: number): Promise<void> {
    await runSql(em, `update ${this.#table} set "leaseUntil" = now() where "id" = ? and "fence" = ? and "status" = 0`, [id, fence]);
  }

  /** Ends a run (SUCCEEDED, FAILED, CANCELED), fenced; false when the task was not this runner's any more. */
  async finish(em: EntityManager, id: string, fence: number, status: Exclude<TaskStatus, null | 0>, result: Record<string, unknown>, filePath?: string | null): Promise<TaskRow | undefined> {
    const sql =
      `update ${this.#table} set "status" = ?, "result" = ?, "doneAt" = now(), "leaseUntil" = null, "cancelable" = false, ` +
      `"filePath" = coalesce(?, "filePath") where "id" = ? and "fence" = ? and "status" = 0 returning ${COLUMNS}`;
    return (await runSql<TaskRow>(em, sql, [status, JSON.stringify(result), filePath ?? null, id, fence])).rows[0];
  }

  /**
   * `asyncTasks:stop`: a pending task is canceled at once; a running one gets `stopRequested` (its
   * runner sees it at its next batch, and a broadcast reaches it sooner). Answers the row after the change.
   */
  async requestStop(em: EntityManager, id: string): Promise<TaskRow | undefined> {
    const pending = `update ${this.#table} set "status" = -2, "doneAt" = now(), "stopRequested" = true, "cancelable" = false, "result" = ? where "id" = ? and "status" is null returning ${COLUMNS}`;
    const canceled = (await runSql<TaskRow>(em, pending, [JSON.stringify({ canceled: true, committed: null }), id])).rows[0];
    if (canceled) return canceled;
    const running = `update ${this.#table} set "stopRequested" = true where "id" = ? and "status" = 0 returning ${COLUMNS}`;
    return (await runSql<TaskRow>(em, running, [id])).rows[0];
  }

  /**
   * Running tasks asked to stop whose node died before it could: CANCELED now (a takeover would only
   * stop them), with what their committed batches wrote. Answers them, to announce the end.
   */
  async cancelOrphanedStops(em: EntityManager): Promise<TaskRow[]> {
    const sql =
      `update ${this.#table} set "status" = -2, "doneAt" = now(), "leaseUntil" = null, "cancelable" = false, ` +
      `"result" = jsonb_build_object('canceled', true, 'committed', "checkpoint"->'counts') ` +
      `where "status" = 0 and "stopRequested" and "leaseUntil" < now() returning ${COLUMNS}`;
    return (await runSql<TaskRow>(em, sql)).rows;
  }

  /** Running tasks whose lease expired (their node died or hangs): candidates for a takeover. */
  async orphaned(em: EntityManager, limit: number): Promise<Array<{ id: string; fence: string }>> {
    const sql = `select "id", "fence" from ${this.#table} where "status" = 0 and "leaseUntil" < now() order by "leaseUntil" limit ${limit}`;
    return (await runSql<{ id: string; fence: string }>(em, sql)).rows;
  }

  /** Pending tasks older than `ageMs` (their queue message may be lost, e.g. an in-process queue restarted). */
  async stalePending(em: EntityManager, ageMs: number, limit: number): Promise<string[]> {
    const sql = `select "id" from ${this.#table} where "status" is null and not "stopRequested" and "createdAt" < now() - (? * interval '1 millisecond') order by "createdAt" limit ${limit}`;
    return (await runSql<{ id: string }>(em, sql, [ageMs])).rows.map((r) => r.id);
  }

  /** Finished tasks whose file is older than the retention: the files to remove. Clears their filePath. */
  async expireFiles(em: EntityManager, retentionMs: number, limit: number): Promise<string[]> {
    // Two statements in one transaction: read the paths, then clear them (a RETURNING sees new values only).
    return em.transactional(async (tx) => {
      const rows = await runSql<{ id: string; filePath: string }>(
        tx,
        `select "id", "filePath" from ${this.#table} where "filePath" is not null and "doneAt" < now() - (? * interval '1 millisecond') order by "doneAt" limit ${limit} for update skip locked`,
        [retentionMs],
      );
      if (rows.rows.length === 0) return [];
      await runSql(tx, `update ${this.#table} set "filePath" = null, "result" = coalesce("result", '{}'::jsonb) || '{"fileExpired": true}'::jsonb where "id" = any(?)`, [rows.rows.map((r) => r.id)]);
      return rows.rows.map((r) => r.filePath);
    });
  }
}

/** The task was claimed by another runner since this one's claim: its writes must not commit. */
export class StaleFence extends Error {
  constructor(readonly taskId: string, readonly fence: number) {
    super(`task ${taskId}: fence ${fence} is stale (the task was taken over by another node)`);
    this.name = 'StaleFence';
  }
}
