import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool, PoolClient } from 'pg';
import { stringify } from 'csv-stringify/sync';
import { prepareValue } from 'pg/lib/utils.js';
import { to as copyTo } from 'pg-copy-streams';
import type { FieldMeta } from '../data/index.js';
import { quoteIdent, type Deadline } from '../sql/index.js';
import type { ResolvedColumn } from './columns.js';
import { neutralizeFormula } from './cells.js';
import { outputClosed } from './writers.js';

/**
 * CSV exports through PostgreSQL's `COPY (select …) TO STDOUT`: the server writes the CSV and Node only
 * passes the bytes on, several times faster than fetching rows and stringifying them. The cells come
 * out as csvCell writes them — ISO dates, `true`/`false`, formula-like text neutralized with a leading
 * `'`, empty text as an empty cell — because each column is formatted in SQL. Columns that need Node
 * (encrypted fields are decrypted with the AES key; JSON, whose text PostgreSQL spaces differently)
 * keep the cursor path of writeExport. One difference remains: a double far from 1 is written in
 * PostgreSQL's form (`1e-05`, `1e+21`), which reads back as the same number.
 */

/** Column types whose CSV cell PostgreSQL can write itself, exactly as csvCell would. */
const COPYABLE = new Set<FieldMeta['type']>(['string', 'text', 'integer', 'bigInt', 'snowflakeId', 'float', 'double', 'decimal', 'boolean', 'date', 'datetime', 'uuid']);
const TEXT = new Set<FieldMeta['type']>(['string', 'text']);

export function copyableColumns(columns: readonly ResolvedColumn[]): boolean {
  return columns.every((c) => COPYABLE.has(c.field.type));
}

/** The SQL expression writing column `c` (of the subquery `s`) as its CSV cell. */
function cellSql(c: ResolvedColumn): string {
  const v = `s.${quoteIdent(c.alias)}`;
  const type = c.field.type;
  if (TEXT.has(type)) {
    // neutralizeFormula, and '' as NULL (COPY writes an empty string as "", csv-stringify as nothing).
    return `nullif(case when left(${v}, 1) in ('=', '+', '-', '@', chr(9), chr(13), '''') then '''' || ${v} else ${v} end, '')`;
  }
  switch (type) {
    case 'boolean':
      return `case when ${v} then 'true' when not ${v} then 'false' end`;
    case 'date':
      return `case when isfinite(${v}) then to_char(${v}, 'YYYY-MM-DD') else ${v}::text end`;
    case 'datetime':
      return `case when isfinite(${v}) then to_char(${v} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') else ${v}::text end`;
    default:
      return `${v}::text`;
  }
}

/** `select` with its `?` placeholders replaced by literals (COPY takes no bind parameters), as pg would send them. */
function inlineParams(client: PoolClient, sql: string, params: readonly unknown[]): string {
  // pg's own text form of a parameter (arrays as PostgreSQL array literals, dates as ISO, …), sent
  // untyped as a bound parameter would be: the literal is of unknown type and resolves the same way.
  let i = 0;
  return sql.replace(/\?/g, () => {
    const value = prepareValue(params[i++]);
    return value === null ? 'null' : client.escapeLiteral(value);
  });
}

/** Checkpoints of a COPY export at most this often: at COPY speed a batch of rows passes in about a millisecond. */
const CHECKPOINT_EVERY_MS = 100;

/**
 * Counts CSV records passing through (newlines outside quoted fields) and calls `onRows` after at
 * least `every` rows and CHECKPOINT_EVERY_MS, without holding the bytes back (one call in flight at a
 * time; the next one reports the count reached by then). A rejection (a stop, a lost lease) ends the
 * stream with its error.
 */
function rowCounter(every: number, onRows: (rows: number) => Promise<void>): Transform & { rows(): number } {
  let rows = 0;
  let reported = 0;
  let quoted = false;
  let inFlight: Promise<void> | null = null;
  let reportedAt = performance.now();
  const report = () => {
    reported = rows;
    reportedAt = performance.now();
    inFlight = onRows(rows).then(
      () => void (inFlight = null),
      (err: unknown) => void counter.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  };
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (b === 0x22) quoted = !quoted;
        else if (b === 0x0a && !quoted) rows++;
      }
      if (rows - reported >= every && inFlight === null && performance.now() - reportedAt >= CHECKPOINT_EVERY_MS) report();
      done(null, chunk);
    },
    flush(done) {
      if (inFlight === null) return done();
      inFlight.then(() => done(), done);
    },
  });
  return Object.assign(counter, { rows: () => rows });
}

export interface CopyExportInput {
  readonly columns: readonly ResolvedColumn[];
  /** The export's select (with `?` placeholders) and its count. */
  readonly select: string;
  readonly count: string;
  readonly params: readonly unknown[];
  readonly batchSize: number;
  readonly onBatch?: (written: number, total: number) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly deadline?: Deadline;
}

/**
 * Writes the export as CSV into `output` (BOM, header row of titles, then COPY's rows) from one
 * repeatable-read snapshot on a connection of its own, and ends `output`. Resolves with the rows written.
 */
export async function copyCsvExport(em: EntityManager, input: CopyExportInput, output: Writable): Promise<number> {
  const pool = (await em.getConnection().getNativeClient()) as Pool;
  const client = await pool.connect();
  let failed: unknown;
  try {
    await client.query('begin isolation level repeatable read read only');
    if (input.deadline !== undefined) {
      const left = String(Math.max(1, Math.floor(input.deadline - Date.now())));
      await client.query(`select set_config('statement_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $1, true)`, [left]);
    }
    const total = Number((await client.query<{ n: string }>(inlineParams(client, input.count, input.params))).rows[0]!.n);
    const select = `select ${input.columns.map((c) => `${cellSql(c)} as ${quoteIdent(c.alias)}`).join(', ')} from (${input.select}) s`;
    const copy = client.query(copyTo(`copy (${inlineParams(client, select, input.params)}) to stdout with (format csv)`));
    const counter = rowCounter(input.batchSize, async (rows) => {
      input.signal?.throwIfAborted();
      await input.onBatch?.(Math.min(rows, total), total);
    });
    output.write(stringify([input.columns.map((c) => neutralizeFormula(c.title))], { bom: true }));
    await pipeline(copy, counter, output, ...(input.signal ? [{ signal: input.signal }] : []));
    const written = counter.rows();
    if (written > 0) await input.onBatch?.(written, total);
    await client.query('commit');
    return written;
  } catch (err) {
    failed = err;
    // The output went away mid-file: the same error as the other writers (the caller's cursor ends with it).
    if ((err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') throw outputClosed(err);
    throw err;
  } finally {
    // A connection left mid-COPY or mid-transaction is not handed back to the pool.
    client.release(failed === undefined ? undefined : failed instanceof Error ? failed : new Error(String(failed)));
  }
}
