import type { EntityManager } from '@mikro-orm/postgresql';

export interface SqlResult<R> {
  readonly rows: R[];
  /** Rows changed by insert/update/delete (0 for other statements). */
  readonly affected: number;
}

/**
 * What runSql needs of an EntityManager: the transaction it is in, or else its connection. Any
 * EntityManager fits; a test may wrap one.
 */
export type SqlRunner = Pick<EntityManager, 'getTransactionContext' | 'getConnection'>;

/** The Kysely-style executor MikroORM 7 keeps behind a transaction and a connection. */
type Executor = { executeQuery(query: unknown): Promise<{ rows: unknown[]; numAffectedRows?: bigint }> };

/**
 * The executor of `em`'s transaction, or of its connection's pool. MikroORM 7.2 internals (no public
 * API runs a statement with bound parameters): test/integration/run-sql.test.ts pins what is used.
 */
function executorOf(em: SqlRunner): Executor {
  return (em.getTransactionContext() ?? em.getConnection().getClient()) as unknown as Executor;
}

/**
 * Runs one statement with bound parameters (never inlined into the SQL text), inside `em`'s
 * transaction when it has one: the one way clusterbase runs SQL of its own. `?` placeholders become
 * `$1…` in order; the SQL text must hold no other `?` (quoteIdent refuses names with one, and no
 * statement here uses jsonb's `?` operators). Errors are pg's own (with `code`, `column`,
 * `constraint`), for the callers to map.
 */
export async function runSql<R = Record<string, unknown>>(em: SqlRunner, sql: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
  let n = 0;
  const text = sql.replace(/\?/g, () => `$${++n}`);
  if (n !== params.length) throw new Error(`runSql: ${n} placeholders but ${params.length} parameters`);
  const res = await executorOf(em).executeQuery({
    sql: text,
    parameters: params,
    query: { kind: 'RawNode', sqlFragments: [text], parameters: [] },
    queryId: { queryId: 'clusterbase-data' },
  });
  return { rows: res.rows as R[], affected: Number(res.numAffectedRows ?? 0) };
}
