import type { EntityManager } from '@mikro-orm/postgresql';
import { checkValue, hasColumn, type CollectionMeta, type FieldMeta, type RecordRepository, type RecordValues } from '../data/index.js';
import { cbError } from '../errors/index.js';
import { cellToValue } from './cells.js';
import { columnTitle } from './columns.js';
import { dataRows } from './reader.js';
import type { ColumnSpec, ImportCounts, ImportParams, RejectedRow } from './types.js';
import { qualified, quoteIdent, runSql } from '../sql/index.js';

export interface ImportColumn {
  readonly title: string;
  readonly field: FieldMeta;
}

/** Import columns: one field each (`["title"]`, or a belongsTo by its key `["category"]`). */
export function importColumns(meta: CollectionMeta, specs: readonly ColumnSpec[]): ImportColumn[] {
  return specs.map((spec) => {
    const path = spec.dataIndex;
    const field = meta.fields.get(path[0]!);
    if (!field) throw cbError('CB_ERR_VALIDATION', `column "${path.join('.')}": "${path[0]}" is not a field of "${meta.name}"`);
    if (path.length > 1 || field.type === 'hasMany') throw cbError('CB_ERR_VALIDATION', `column "${path.join('.')}": imports write the collection's own fields (a belongsTo by its key)`);
    return { title: columnTitle(spec), field };
  });
}

/**
 * Rejected rows listed in a result (the first ones by row number); `rejected` still counts every one.
 * Without a cap a file of a million bad rows would hold them all in memory and rewrite the whole
 * list into the checkpoint at every batch. The result says `rejectedRowsTruncated: true` past it.
 */
export const MAX_REJECTED_ROWS = 1000;

/** Where an import continues from: the last committed data row and the counts committed with it. */
export interface ImportStart {
  readonly offset: number;
  readonly batch: number;
  readonly counts: ImportCounts;
}

export interface ImportInput {
  readonly em: EntityManager;
  readonly records: RecordRepository;
  readonly meta: CollectionMeta;
  readonly params: ImportParams;
  readonly columns: readonly ImportColumn[];
  readonly path: string;
  readonly batchSize: number;
  readonly start: ImportStart;
  /**
   * Runs inside each batch's transaction after its rows: records the checkpoint fenced (throws when
   * the task was taken over, rolling the batch back). Answers whether a stop was asked for.
   */
  readonly commitBatch: (tx: EntityManager, state: ImportStart) => Promise<{ stopRequested: boolean }>;
  /** Progress outside batch transactions (all-or-nothing validation pass). */
  readonly onProgress?: (rows: number) => Promise<void>;
  readonly signal?: AbortSignal;
  /** Rejected rows listed at most (default MAX_REJECTED_ROWS). */
  readonly maxRejectedRows?: number;
}

export interface ImportOutcome {
  readonly counts: ImportCounts;
  readonly stopped: boolean;
  /** All-or-nothing: false when rejected rows kept everything from being written. */
  readonly committed: boolean;
  readonly rows: number;
}

type Row = { row: number; values: RecordValues };

/** One data row's cells as a record, or its rejections (every bad cell: column and reason). */
function convert(columns: readonly ImportColumn[], row: number, cells: readonly unknown[]): { values?: RecordValues; rejected?: RejectedRow[] } {
  const values: RecordValues = {};
  const rejected: RejectedRow[] = [];
  columns.forEach((c, i) => {
    try {
      const value = cellToValue(c.field, cells[i]);
      if (value === undefined) return;
      if (c.field.type !== 'belongsTo' && c.field.type !== 'password' && c.field.type !== 'encrypted' && hasColumn(c.field)) checkValue(c.field, value);
      values[c.field.name] = value;
    } catch (err) {
      rejected.push({ row, column: c.title, reason: reasonOf(err) });
    }
  });
  return rejected.length > 0 ? { rejected } : { values };
}

/** The field a write error names (the repository's messages quote it: `field "x"`, `this "x"`). */
function fieldOf(err: unknown): string | undefined {
  const data = (err as { data?: { field?: string } }).data?.field;
  return data ?? /(?:field|this) "([^"]+)"/.exec(reasonOf(err))?.[1];
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A client error (bad value, conflict, missing required field): the row is rejected; anything else fails the task. */
function isRowError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && code >= 400 && code < 500;
}

/**
 * Runs an import from `start`: rows validated against field types, written in batches of
 * `batchSize`, each batch one transaction that also commits the checkpoint (so a takeover resumes
 * after the last committed batch and never inserts a row twice). A batch the database refuses as a
 * whole is retried row by row in savepoints, so only the bad rows are rejected. All-or-nothing:
 * a validation pass first, then every batch in one transaction.
 */
export async function runImport(input: ImportInput): Promise<ImportOutcome> {
  const { params, columns } = input;
  const titles = columns.map((c) => c.title);
  const cap = input.maxRejectedRows ?? MAX_REJECTED_ROWS;
  const counts: ImportCounts = structuredClone(input.start.counts);
  const after: Array<() => Promise<void>> = [];
  const writeOptions = { deferAfterCommit: (fn: () => Promise<void>) => void after.push(fn), triggerWorkflows: params.triggerWorkflows };
  const uniqueField = params.mode === 'upsert' ? input.meta.fields.get(params.uniqueField ?? '') : undefined;
  if (params.mode === 'upsert' && (!uniqueField || !(uniqueField.unique || uniqueField.primaryKey))) {
    throw cbError('CB_ERR_VALIDATION', `upsert needs uniqueField naming a unique field of "${input.meta.name}"`);
  }

  const writeRow = async (tx: EntityManager, r: Row, local: ImportCounts) => {
    if (uniqueField && r.values[uniqueField.name] !== undefined) {
      const sql = `select ${quoteIdent(input.meta.primaryKey)} as pk from ${qualified(input.meta.schema, input.meta.table)} where ${quoteIdent(uniqueField.name)} = ? limit 1`;
      const found = (await runSql<{ pk: unknown }>(tx, sql, [checkValue(uniqueField, r.values[uniqueField.name])])).rows[0];
      if (found) {
        await input.records.updateByPk(tx, input.meta.name, found.pk, r.values, writeOptions);
        local.updated++;
        return;
      }
    }
    await input.records.create(tx, input.meta.name, r.values, writeOptions);
    local.inserted++;
  };

  /** Writes one batch in `tx`; rows the database refuses are added to `local.rejectedRows`. */
  const writeBatch = async (tx: EntityManager, rows: Row[], local: ImportCounts) => {
    if (rows.length === 0) return;
    if (!uniqueField) {
      try {
        await tx.transactional(async (sp) => input.records.create(sp, input.meta.name, rows.map((r) => r.values), writeOptions));
        local.inserted += rows.length;
        return;
      } catch (err) {
        if (!isRowError(err)) throw err;
      }
    }
    for (const r of rows) {
      try {
        await tx.transactional((sp) => writeRow(sp, r, local));
      } catch (err) {
        if (!isRowError(err)) throw err;
        const field = fieldOf(err);
        if (local.rejectedRows.length < cap) local.rejectedRows.push({ row: r.row, ...(field ? { column: columns.find((c) => c.field.name === field)?.title ?? field } : {}), reason: reasonOf(err) });
        local.rejected++;
      }
    }
  };

  const runAfterCommit = async () => {
    for (const fn of after.splice(0)) await fn();
  };

  if (params.allOrNothing) return allOrNothing(input, titles, counts, writeBatch, runAfterCommit, cap);

  let batch: Row[] = [];
  let pendingRejected: RejectedRow[] = [];
  let lastRow = input.start.offset;
  let committedRow = input.start.offset;
  let batchNo = input.start.batch;
  let stopped = false;
  const flush = async () => {
    const local: ImportCounts = { inserted: 0, updated: 0, rejected: pendingRejected.length, rejectedRows: [...pendingRejected] };
    const rowsNow = batch;
    let stop = false;
    await input.em.transactional(async (tx) => {
      await writeBatch(tx, rowsNow, local);
      const next: ImportCounts = {
        inserted: counts.inserted + local.inserted,
        updated: counts.updated + local.updated,
        rejected: counts.rejected + local.rejected,
        rejectedRows: counts.rejectedRows.length >= cap ? counts.rejectedRows : [...counts.rejectedRows, ...local.rejectedRows].sort((a, b) => a.row - b.row).slice(0, cap),
      };
      stop = (await input.commitBatch(tx, { offset: lastRow, batch: batchNo + 1, counts: next })).stopRequested;
      Object.assign(local, { committed: next });
    });
    const next = (local as ImportCounts & { committed: ImportCounts }).committed;
    Object.assign(counts, next);
    batchNo++;
    committedRow = lastRow;
    batch = [];
    pendingRejected = [];
    await runAfterCommit();
    return stop;
  };

  for await (const { row, cells } of dataRows(input.path, params.format, titles)) {
    if (row <= input.start.offset) continue;
    const { values, rejected } = convert(columns, row, cells);
    if (rejected) pendingRejected.push(...rejected.slice(0, 1).map((r) => ({ ...r, reason: rejected.length > 1 ? rejected.map((x) => `${x.column}: ${x.reason}`).join('; ') : r.reason })));
    else batch.push({ row, values: values! });
    lastRow = row;
    if (batch.length + pendingRejected.length >= input.batchSize) {
      if (input.signal?.aborted || (await flush())) {
        stopped = true;
        break;
      }
    }
  }
  if (!stopped && (batch.length > 0 || pendingRejected.length > 0 || lastRow > committedRow)) await flush();
  return { counts, stopped, committed: true, rows: lastRow };
}

async function allOrNothing(
  input: ImportInput,
  titles: string[],
  counts: ImportCounts,
  writeBatch: (tx: EntityManager, rows: Row[], local: ImportCounts) => Promise<void>,
  runAfterCommit: () => Promise<void>,
  cap: number,
): Promise<ImportOutcome> {
  const { columns, params } = input;
  const rejected: RejectedRow[] = [];
  let rejectedCount = 0;
  let total = 0;
  for await (const { row, cells } of dataRows(input.path, params.format, titles)) {
    const r = convert(columns, row, cells);
    if (r.rejected && rejectedCount++ < cap) rejected.push({ row, column: r.rejected[0]!.column, reason: r.rejected.map((x) => (r.rejected!.length > 1 ? `${x.column}: ${x.reason}` : x.reason)).join('; ') });
    total = row;
    if (row % input.batchSize === 0) {
      input.signal?.throwIfAborted();
      await input.onProgress?.(row);
    }
  }
  const none: ImportCounts = { inserted: 0, updated: 0, rejected: rejectedCount, rejectedRows: rejected };
  if (rejectedCount > 0) return { counts: none, stopped: false, committed: false, rows: total };
  const local: ImportCounts = { inserted: 0, updated: 0, rejected: 0, rejectedRows: [] };
  let stopped = false;
  const refused = new Error('all-or-nothing: rows refused');
  try {
    await input.em.transactional(async (tx) => {
      let batch: Row[] = [];
      for await (const { row, cells } of dataRows(input.path, params.format, titles)) {
        batch.push({ row, values: convert(columns, row, cells).values! });
        if (batch.length >= input.batchSize) {
          await writeBatch(tx, batch, local);
          batch = [];
          if (input.signal?.aborted) {
            stopped = true;
            throw refused;
          }
        }
      }
      await writeBatch(tx, batch, local);
      if (local.rejected > 0) throw refused;
      const done = await input.commitBatch(tx, { offset: total, batch: 1, counts: { ...local } });
      if (done.stopRequested) {
        stopped = true;
        throw refused;
      }
    });
  } catch (err) {
    if (err !== refused) throw err;
    // Rolled back: the after-commit work of its writes never runs.
    const result = stopped ? { inserted: 0, updated: 0, rejected: 0, rejectedRows: [] } : { ...none, rejected: local.rejected, rejectedRows: local.rejectedRows.slice(0, cap) };
    return { counts: result, stopped, committed: false, rows: total };
  }
  Object.assign(counts, local);
  await runAfterCommit();
  return { counts, stopped: false, committed: true, rows: total };
}
