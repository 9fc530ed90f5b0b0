import pg from 'pg';
import type { PostReport } from '../cluster/ops/load-streams';

/** Statuses of a settled execution (NocoBase's): anything else is QUEUEING (null) or STARTED (0). */
const SETTLED = [1, -1, -2, -3, -4, -5, -6];

export const q = (schema: string, table: string) => `"${schema}"."${table}"`;

export async function withDb<T>(url: string, run: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url });
  db.on('error', () => undefined);
  await db.connect();
  try {
    return await run(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}

/** Executions of the workflow not yet settled (QUEUEING or STARTED). */
export async function unfinishedExecutions(db: pg.Client, schema: string, workflowId: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from ${q(schema, 'executions')} where "workflowId" = $1 and ("status" is null or not ("status" = any($2::int[])))`,
    [workflowId, SETTLED],
  );
  return rows[0]!.n;
}

export interface Expectations {
  readonly schema: string;
  readonly workflowId: number;
  readonly effects: string;
  readonly writes: PostReport;
  /** Every line the nodes printed. */
  readonly logs: string;
}

/**
 * The invariants every profile must hold, as a list of problems in words (empty: all held):
 * every acknowledged write is one row with exactly one RESOLVED execution and exactly one complete
 * effect row; no write gave up; no execution failed or stayed unfinished; no snowflake ID was issued
 * twice (across every table that holds them, where a per-table primary key would not catch it); no
 * duplicate-key error and no unhandled client error event in any node's log.
 */
export async function checkInvariants(db: pg.Client, e: Expectations): Promise<string[]> {
  const problems: string[] = [];
  const { schema } = e;
  if (e.writes.failures.length > 0) problems.push(`${e.writes.failures.length} write(s) gave up: ${e.writes.failures.slice(0, 3).join(' | ')}`);

  const orders = await db.query<{ ref: string; n: number }>(`select "ref", count(*)::int as n from ${q(schema, 'orders')} group by "ref"`);
  const orderCount = new Map(orders.rows.map((r) => [r.ref, r.n]));
  const executions = await db.query<{ ref: string; status: number | null; n: number }>(
    `select "context"->'data'->>'ref' as ref, "status", count(*)::int as n from ${q(schema, 'executions')} where "workflowId" = $1 group by 1, 2`,
    [e.workflowId],
  );
  const resolved = new Map<string, number>();
  const otherStatus = new Map<string, number>();
  for (const r of executions.rows) {
    if (r.status === 1) resolved.set(r.ref, (resolved.get(r.ref) ?? 0) + r.n);
    else otherStatus.set(String(r.status), (otherStatus.get(String(r.status)) ?? 0) + r.n);
  }
  const effects = await db.query<{ ref: string; n: number; complete: number }>(
    `select "ref", count(*)::int as n, count(*) filter (where "done" and "refLength" = length("ref"))::int as complete from ${q(schema, e.effects)} group by "ref"`,
  );
  const effectOf = new Map(effects.rows.map((r) => [r.ref, r]));

  const wrong = { rows: [] as string[], executions: [] as string[], effects: [] as string[] };
  for (const ref of e.writes.acknowledged) {
    if (orderCount.get(ref) !== 1) wrong.rows.push(`${ref}×${orderCount.get(ref) ?? 0}`);
    if (resolved.get(ref) !== 1) wrong.executions.push(`${ref}×${resolved.get(ref) ?? 0}`);
    const effect = effectOf.get(ref);
    if (!effect || effect.n !== 1 || effect.complete !== 1) wrong.effects.push(`${ref}×${effect?.n ?? 0}(${effect?.complete ?? 0} complete)`);
  }
  if (wrong.rows.length) problems.push(`${wrong.rows.length} acknowledged write(s) not exactly one row: ${wrong.rows.slice(0, 5).join(', ')}`);
  if (wrong.executions.length) problems.push(`${wrong.executions.length} acknowledged write(s) without exactly one RESOLVED execution: ${wrong.executions.slice(0, 5).join(', ')}`);
  if (wrong.effects.length) problems.push(`${wrong.effects.length} acknowledged write(s) without exactly one complete effect row: ${wrong.effects.slice(0, 5).join(', ')}`);
  if (otherStatus.size > 0) problems.push(`executions not RESOLVED, by status: ${[...otherStatus].map(([s, n]) => `${s}: ${n}`).join(', ')}`);

  const ids = await db.query<{ total: number; distinct: number }>(
    `select count(*)::int as total, count(distinct id)::int as distinct from (
       select "id" from ${q(schema, 'orders')} union all select "id" from ${q(schema, 'executions')}
       union all select "id" from ${q(schema, 'jobs')} union all select "id" from ${q(schema, e.effects)}) ids`,
  );
  const { total, distinct } = ids.rows[0]!;
  if (total !== distinct) problems.push(`${total - distinct} snowflake ID(s) issued twice across orders/executions/jobs/effects`);
  const duplicateKey = e.logs.split('\n').filter((l) => /duplicate key value/i.test(l));
  if (duplicateKey.length) problems.push(`${duplicateKey.length} duplicate-key error(s) logged: ${duplicateKey[0]!.slice(0, 200)}`);
  const unhandled = e.logs.split('\n').filter((l) => /Unhandled error event/i.test(l));
  if (unhandled.length) problems.push(`${unhandled.length} unhandled client error event(s) logged: ${unhandled[0]!.slice(0, 200)}`);
  return problems;
}
