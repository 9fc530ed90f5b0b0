/**
 * Async import/export tasks: NocoBase's `asyncTasks` resource (status codes, progress, result), plus
 * the fields a cluster needs to run each task once in effect (owner node, lease, fence, checkpoint).
 */

/** NocoBase's TASK_STATUS. */
export const TASK_STATUS = { PENDING: null, RUNNING: 0, SUCCEEDED: 1, FAILED: -1, CANCELED: -2 } as const;
export type TaskStatus = null | 0 | 1 | -1 | -2;

export type TaskType = 'export' | 'import';

/** One export column: NocoBase's shape (`dataIndex` is a field path, e.g. `["category","name"]`). */
export interface ColumnSpec {
  readonly dataIndex: readonly string[];
  readonly defaultTitle?: string;
  readonly title?: string;
  readonly description?: string;
}

export interface ExportParams {
  readonly collection: string;
  readonly format: 'xlsx' | 'csv';
  readonly title: string;
  readonly columns: readonly ColumnSpec[];
  readonly filter?: unknown;
  readonly sort?: unknown;
}

export interface ImportParams {
  readonly collection: string;
  readonly format: 'xlsx' | 'csv';
  readonly columns: readonly ColumnSpec[];
  /** insert, or upsert by `uniqueField` (update the record with the same value, else insert). */
  readonly mode: 'insert' | 'upsert';
  readonly uniqueField?: string;
  /** Commit nothing unless every row is valid and written. */
  readonly allOrNothing: boolean;
  /** Imported rows trigger collection workflows only when asked (NocoBase always triggers them). */
  readonly triggerWorkflows: boolean;
  readonly fileName?: string;
}

/** A rejected import row: row number in the file (1 = first data row, as NocoBase counts), column, reason. */
export interface RejectedRow {
  readonly row: number;
  readonly column?: string;
  readonly reason: string;
}

/** What an import's checkpoint and result hold: counts so far and every rejected row. */
export interface ImportCounts {
  inserted: number;
  updated: number;
  rejected: number;
  rejectedRows: RejectedRow[];
}

/** A row of `asyncTasks` as stored. */
export interface TaskRow {
  readonly id: string;
  readonly origin: string;
  readonly type: TaskType;
  readonly title: string | null;
  readonly params: Record<string, unknown>;
  readonly status: TaskStatus;
  readonly result: Record<string, unknown> | null;
  readonly createdById: string | number | null;
  readonly cancelable: boolean;
  readonly progressTotal: number | null;
  readonly progressCurrent: number;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly doneAt: string | null;
  readonly ownerNode: string | null;
  readonly leaseUntil: string | null;
  readonly fence: string | number;
  readonly attempts: number;
  readonly committedBatch: number;
  readonly committedOffset: string | number;
  readonly checkpoint: Record<string, unknown>;
  readonly stopRequested: boolean;
  readonly inputPath: string | null;
  readonly filePath: string | null;
}

/** The message on the queue channel `async-task:process:<app>`. */
export interface TaskMessage {
  readonly app: string;
  readonly taskId: string;
}

/** A progress signal (sync channel `asyncTasks:progress`), also each SSE event's data. */
export interface ProgressEvent {
  readonly id: string;
  readonly status: TaskStatus;
  readonly progressCurrent: number;
  readonly progressTotal: number | null;
  readonly result?: Record<string, unknown> | null;
}

export interface TasksConfig {
  readonly maxConcurrency: number;
  readonly batchSize: number;
  readonly leaseMs: number;
  readonly sweepMs: number;
  readonly retentionMs: number;
  readonly exportInlineMaxRows: number;
  readonly exportMaxConcurrentPerUser: number;
  readonly importMaxFileSize: number;
  readonly xlsx: XlsxLimits;
  /** The header check's worker thread: heap limit (MB) and time limit. */
  readonly headerCheck: { readonly maxHeapMb: number; readonly timeoutMs: number };
  readonly maxPendingPerUser: number;
  readonly maxStoredPerUser: number;
  readonly minFreeBytes: number;
}

/** Bounds on an imported xlsx, checked on the zip before any sheet is parsed. */
export interface XlsxLimits {
  readonly maxUncompressed: number;
  readonly maxEntries: number;
  readonly maxSharedStrings: number;
}
