import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppData } from '../data-api/index.js';
import { writeExport } from './export.js';
import { importColumns, runImport } from './import.js';
import { parseColumns } from './columns.js';
import { absolute, ensureDir, safeFileName, taskFilePath } from './storage.js';
import type { TaskStore } from './task-store.js';
import type { ExportParams, ImportCounts, ImportParams, TaskRow, TaskStatus } from './types.js';

export interface RunContext {
  readonly app: string;
  readonly em: () => EntityManager;
  readonly data: AppData;
  readonly store: TaskStore;
  readonly storagePath: string;
  readonly batchSize: number;
  readonly aesKey?: Buffer;
  /** Aborted on a stop broadcast or a lost lease: the run ends after the current batch. */
  readonly signal: AbortSignal;
  readonly progress: (current: number, total: number | null) => void;
}

export interface RunOutcome {
  readonly status: Exclude<TaskStatus, null | 0>;
  readonly result: Record<string, unknown>;
  readonly filePath?: string;
}

/**
 * An export run. It restarts from the first row on a takeover (a partial file is worthless): it
 * writes `<file>.<fence>.partial` under the task's folder and renames it when complete, so a fetched
 * file is never cut short.
 */
export async function runExportTask(task: TaskRow, fence: number, ctx: RunContext): Promise<RunOutcome> {
  const params = task.params as unknown as ExportParams;
  const meta = ctx.data.collections.require(params.collection);
  const stored = taskFilePath(ctx.app, task.id, safeFileName(params.title, params.format));
  const full = absolute(ctx.storagePath, stored);
  await ensureDir(full);
  // One partial file per claim: a paused runner that lost the task never touches the new runner's file.
  const partial = `${full}.${fence}.partial`;
  const out = createWriteStream(partial);
  let total = 0;
  try {
    const rows = await writeExport(
      ctx.em(),
      {
        meta,
        lookup: (n) => ctx.data.collections.get(n),
        format: params.format,
        columns: params.columns,
        filter: params.filter,
        sort: params.sort,
        aesKey: ctx.aesKey,
        batchSize: ctx.batchSize,
        signal: ctx.signal,
        onBatch: async (written, count) => {
          total = count;
          const { stopRequested } = await ctx.store.checkpoint(ctx.em(), task.id, fence, { current: written, total: count });
          ctx.progress(written, count);
          if (stopRequested) throw new StopRequested();
        },
      },
      out,
    );
    // Still this runner's task? A runner paused after its last batch (and taken over meanwhile) must
    // not put its file in place of the new runner's: a fenced write first (StaleFence otherwise).
    await ctx.store.checkpoint(ctx.em(), task.id, fence, { current: rows, total: rows });
    await rename(partial, full);
    return { status: 1, result: { rows, fileName: safeFileName(params.title, params.format), format: params.format }, filePath: stored };
  } catch (err) {
    out.destroy();
    await rm(partial, { force: true });
    if (err instanceof StopRequested || ctx.signal.reason instanceof StopRequested) return { status: -2, result: { canceled: true, rows: 0, total } };
    throw ctx.signal.aborted ? ctx.signal.reason : err;
  }
}

/** An import run from the task's last committed batch (a takeover resumes there, no row twice). */
export async function runImportTask(task: TaskRow, fence: number, ctx: RunContext): Promise<RunOutcome> {
  const params = task.params as unknown as ImportParams;
  const meta = ctx.data.collections.require(params.collection);
  const columns = importColumns(meta, parseColumns(params.columns, meta));
  const saved = task.checkpoint as { counts?: ImportCounts };
  const counts: ImportCounts = saved.counts ?? { inserted: 0, updated: 0, rejected: 0, rejectedRows: [] };
  const outcome = await runImport({
    em: ctx.em(),
    records: ctx.data.records,
    meta,
    params,
    columns,
    path: absolute(ctx.storagePath, task.inputPath!),
    batchSize: ctx.batchSize,
    start: { offset: Number(task.committedOffset), batch: task.committedBatch, counts },
    signal: ctx.signal,
    commitBatch: async (tx, state) => {
      const res = await ctx.store.checkpoint(tx, task.id, fence, { current: state.offset, batch: state.batch, offset: state.offset, checkpoint: { counts: state.counts } });
      ctx.progress(state.offset, null);
      return res;
    },
    onProgress: async (rows) => ctx.progress(rows, null),
  });
  // Aborted for another reason than a stop (lease lost, node shutting down): the task is left to a
  // takeover, which resumes after the last committed batch.
  if (outcome.stopped && ctx.signal.aborted && !(ctx.signal.reason instanceof StopRequested)) throw ctx.signal.reason;
  const c = outcome.counts;
  const result = {
    successCount: c.inserted + c.updated,
    inserted: c.inserted,
    updated: c.updated,
    rejected: c.rejected,
    rejectedRows: c.rejectedRows,
    ...(c.rejected > c.rejectedRows.length ? { rejectedRowsTruncated: true } : {}),
    committed: outcome.committed,
    rows: outcome.rows,
    ...(outcome.stopped ? { canceled: true } : {}),
  };
  return { status: outcome.stopped ? -2 : params.allOrNothing && !outcome.committed ? -1 : 1, result };
}

export class StopRequested extends Error {
  constructor() {
    super('the task was stopped');
    this.name = 'StopRequested';
  }
}
