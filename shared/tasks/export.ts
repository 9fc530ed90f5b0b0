import type { Writable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type CollectionLookup, type CollectionMeta } from '../data/index.js';
import { compileFilter, compileSort } from '../query/index.js';
import { BASE_ALIAS, parseColumns, resolveColumns } from './columns.js';
import { copyableColumns, copyCsvExport } from './copy-export.js';
import { rowWriter } from './writers.js';
import { limitTransaction, qualified, quoteIdent, runSql, type Deadline } from '../sql/index.js';

export interface ExportInput {
  readonly meta: CollectionMeta;
  readonly lookup: CollectionLookup;
  readonly format: 'xlsx' | 'csv';
  readonly columns?: unknown;
  readonly filter?: unknown;
  readonly sort?: unknown;
  readonly aesKey?: Buffer;
  /** Rows per cursor FETCH (ASYNC_TASK_BATCH_SIZE). */
  readonly batchSize: number;
  /** Called after each batch written; a throw (a stop, a lost lease) ends the export. */
  readonly onBatch?: (written: number, total: number) => Promise<void>;
  readonly signal?: AbortSignal;
  /** An inline export's request deadline: its read transaction is bounded by it (statement and idle timeouts). */
  readonly deadline?: Deadline;
}

/** The statement an export runs (also validates columns, filter and sort: call it before answering 202). */
export function exportQuery(input: Pick<ExportInput, 'meta' | 'lookup' | 'columns' | 'filter' | 'sort'>) {
  const { meta, lookup } = input;
  const specs = parseColumns(input.columns, meta);
  const { columns, joins } = resolveColumns(meta, lookup, specs);
  const where = compileFilter(input.filter, meta, lookup, { alias: BASE_ALIAS });
  const order = compileSort(input.sort, meta, { alias: BASE_ALIAS });
  const from = `${qualified(meta.schema, meta.table)} as ${quoteIdent(BASE_ALIAS)}`;
  return {
    columns,
    select: `select ${columns.map((c) => c.sql).join(', ')} from ${from} ${joins} where ${where.sql} ${order}`,
    count: `select count(*) as n from ${from} where ${where.sql}`,
    params: where.params,
  };
}

/** Rows the export would write (for the inline threshold and progressTotal). */
export async function countExportRows(em: EntityManager, input: Pick<ExportInput, 'meta' | 'lookup' | 'columns' | 'filter' | 'sort'>): Promise<number> {
  const q = exportQuery(input);
  return Number((await runSql<{ n: string }>(em, q.count, q.params)).rows[0]!.n);
}

/**
 * Streams every matching row into `output` as xlsx or csv: a server-side cursor (DECLARE … FETCH n)
 * inside one read transaction, so memory stays constant whatever the row count and the file is one
 * consistent snapshot. A CSV of columns PostgreSQL can format itself goes through COPY instead
 * (copy-export.ts), the same snapshot guarantee at COPY speed. Never truncates. Resolves with the
 * number of rows written.
 */
export async function writeExport(em: EntityManager, input: ExportInput, output: Writable): Promise<number> {
  const q = exportQuery(input);
  if (input.format === 'csv' && copyableColumns(q.columns)) {
    return copyCsvExport(em, { columns: q.columns, select: q.select, count: q.count, params: q.params, batchSize: input.batchSize, onBatch: input.onBatch, signal: input.signal, deadline: input.deadline }, output);
  }
  const writer = rowWriter(input.format, output, q.columns, input.aesKey);
  let written = 0;
  await em.transactional(async (tx) => {
    await runSql(tx, 'set transaction isolation level repeatable read, read only');
    await limitTransaction(tx, input.deadline);
    const total = Number((await runSql<{ n: string }>(tx, q.count, q.params)).rows[0]!.n);
    await runSql(tx, `declare cb_export no scroll cursor for ${q.select}`, q.params);
    for (;;) {
      input.signal?.throwIfAborted();
      const batch = (await runSql<Record<string, unknown>>(tx, `fetch ${input.batchSize} from cb_export`)).rows;
      for (const row of batch) await writer.row(q.columns.map((c) => row[c.alias]));
      written += batch.length;
      if (batch.length > 0) await input.onBatch?.(written, total);
      if (batch.length < input.batchSize) break;
    }
    await runSql(tx, 'close cb_export');
  });
  await writer.finish();
  return written;
}
