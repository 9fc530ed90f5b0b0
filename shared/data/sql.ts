import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Quotes one identifier, doubling any `"` in it. Names are validated before they get here. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."table"`. */
export function tableRef(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}

/**
 * A constraint or index name (PostgreSQL keeps 63 bytes): `<table>_<column>_<suffix>`, or, when that
 * is too long, a shortened form ending in a hash of the full name so two long names never collide.
 */
export function objectName(table: string, column: string, suffix: string): string {
  const full = `${table}_${column}_${suffix}`;
  if (Buffer.byteLength(full) <= 63) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 10);
  return `${full.slice(0, 63 - hash.length - suffix.length - 2)}_${hash}_${suffix}`;
}

export interface SqlResult<R> {
  readonly rows: R[];
  /** Rows changed by insert/update/delete (0 for other statements). */
  readonly affected: number;
}

/** What a pg error carries that we map to API errors. */
export interface PgError {
  readonly code?: string;
  readonly message: string;
  readonly detail?: string;
  readonly column?: string;
  readonly constraint?: string;
  readonly table?: string;
}

export function isPgError(err: unknown): err is PgError {
  return typeof err === 'object' && err !== null && typeof (err as PgError).code === 'string' && /^[0-9A-Z]{5}$/.test((err as PgError).code!);
}

type Executor = { executeQuery(query: unknown): Promise<{ rows: unknown[]; numAffectedRows?: bigint }> };

/**
 * Runs one statement with truly bound parameters (`em.execute` inlines values into the SQL text),
 * inside `em`'s transaction when it has one. `?` placeholders become `$1…` in order; the SQL text must
 * hold no other `?` (identifiers are validated names, and no statement here uses jsonb's `?` operators).
 * Errors are pg's own (with `code`, `column`, `constraint`), for the callers to map.
 */
export async function runSql<R = Record<string, unknown>>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
  let n = 0;
  const text = sql.replace(/\?/g, () => `$${++n}`);
  if (n !== params.length) throw new Error(`runSql: ${n} placeholders but ${params.length} parameters`);
  const executor = (em.getTransactionContext() ?? em.getConnection().getClient()) as unknown as Executor;
  const res = await executor.executeQuery({
    sql: text,
    parameters: params,
    query: { kind: 'RawNode', sqlFragments: [text], parameters: [] },
    queryId: { queryId: 'clusterbase-data' },
  });
  return { rows: res.rows as R[], affected: Number(res.numAffectedRows ?? 0) };
}
