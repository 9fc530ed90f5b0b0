import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../auth/index.js';
import type { CollectionLookup, CollectionMeta } from '../data/index.js';
import type { AppData } from '../data-api/index.js';
import { cbError, type Logger } from '../errors/index.js';
// The file, not the folder: a task body must not load the HTTP server (fastify) to shape its answer.
import { reply, type ReplyOptions } from '../gateway/rest-reply.js';
import type { MessageQueue } from '../queue/index.js';
import type { SyncSignal } from '../sync/index.js';
import { columnTitle, parseColumns } from './columns.js';
import { countExportRows, exportQuery } from './export.js';
import { spoolExport, takeExportSlot } from './inline-export.js';
import { importColumns } from './import.js';
import { isFinished, PROGRESS_CHANNEL, progressOf, publishProgress, STOP_EVENT } from './progress.js';
import { checkHeaderIsolated } from './header-check.js';
import { absolute, assertFreeSpace, isStagedUpload, removeQuietly, removeTaskFile, safeFileName, stageUpload, type StagedUpload } from './storage.js';
import { TaskStore, type NewTask } from './task-store.js';
import { runSql } from '../sql/index.js';
import { taskChannel } from './processor.js';
import { xlsxTemplate } from './template.js';
import type { ExportParams, ImportParams, ProgressEvent, TaskMessage, TaskRow, TasksConfig } from './types.js';
import { CONTENT_TYPES } from './writers.js';

/**
 * The requests-role side of tasks: `<collection>:export|importXlsx|importCsv|downloadXlsxTemplate`
 * and `asyncTasks:list|get|stop|destroy|fetchFile|progress`. Files and streams are answered as a RestReply
 * (content type, headers, status), which the gateway pipes.
 */

/** The part of an app (shared/apps AppContext) the task actions use. */
export interface TasksApp {
  readonly name: string;
  readonly schema: string;
  readonly data: AppData;
  readonly aesKey: Buffer;
  readonly log: Pick<Logger, 'error'>;
  readonly config: { readonly tasks: TasksConfig; readonly storagePath: string };
  readonly cluster: { readonly sync: SyncSignal; readonly queue: MessageQueue };
  fork(): EntityManager;
  broadcast(event: string, payload: unknown): Promise<void>;
}

/** The params of a task action: the query string, the body as `values`, the path's parts, an upload part. */
export interface TaskParams {
  readonly [key: string]: unknown;
  readonly resourceName?: string;
  readonly filterByTk?: string;
  readonly values?: unknown;
  readonly files?: Record<string, StagedUpload | null>;
  /** Set while the gateway stages a multipart file part (`upload: true` actions). */
  readonly $upload?: { readonly field: string; readonly fileName: string; readonly mimeType: string; readonly stream: Readable | undefined };
}

/** A task REST action body (the signature every REST body in shared/ has). */
export type TaskHandler = (app: TasksApp, caller: Caller, em: EntityManager, params: TaskParams) => Promise<unknown>;

const store = (app: TasksApp) => new TaskStore(app.schema);

/** RFC 5987 value: encodeURIComponent leaves `'()*!` bare, which are not attr-chars. */
const rfc5987 = (s: string) => encodeURIComponent(s).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Content-Disposition for a download. The name is never copied raw into the header: `filename` is an
 * ASCII fallback (anything else, quotes and backslashes become `_`), `filename*` the exact name
 * percent-encoded; neither can carry CR/LF or end the quoted string.
 */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${rfc5987(fileName)}`;
}

function attachment(fileName: string, type: string, headers: Record<string, string> = {}): ReplyOptions {
  // nosniff: a browser never renders a downloaded export (user text) as HTML or script.
  return { type, headers: { 'content-disposition': contentDisposition(fileName), 'x-content-type-options': 'nosniff', ...headers } };
}

/** `asyncTasks.title` is varchar(255). */
const TITLE_MAX = 255;
const taskTitle = (s: string) => s.slice(0, TITLE_MAX);

/** The signed-in caller (the action wrapper checked the token); admins and root see every task, others their own. */
function owner(caller: Caller) {
  if (!caller.user) throw cbError('CB_ERR_AUTH_EMPTY_TOKEN');
  return { userId: caller.user.id, all: caller.isAdmin };
}

/** The task when the caller may see it; others' tasks look missing (404), as NocoBase scopes them. */
async function visibleTask(app: TasksApp, caller: Caller, em: EntityManager, params: TaskParams): Promise<TaskRow | undefined> {
  const id = params.filterByTk;
  if (id === undefined || id === '') throw cbError('CB_ERR_TASK_ID_REQUIRED', 'Task id is required');
  const who = owner(caller);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(id))) return undefined;
  const task = await store(app).get(em, String(id));
  if (!task || (!who.all && String(task.createdById) !== String(who.userId))) return undefined;
  return task;
}

/** A task as the API shows it (NocoBase's fields; the cluster bookkeeping stays inside). */
export function taskToJson(t: TaskRow) {
  const fileName = (t.result as { fileName?: string } | null)?.fileName;
  return {
    id: t.id, origin: t.origin, type: t.type, title: t.title, params: t.params, status: t.status, result: t.result,
    createdById: t.createdById === null ? null : Number(t.createdById), cancelable: t.cancelable && (t.status === null || t.status === 0),
    progressTotal: t.progressTotal, progressCurrent: t.progressCurrent, createdAt: t.createdAt, startedAt: t.startedAt, doneAt: t.doneAt,
    ...(fileName && t.filePath ? { fileName } : {}),
  };
}

export const listTasks: TaskHandler = async (app, caller, em, params) => {
  const who = owner(caller);
  const pageSize = Math.min(1000, Math.max(1, Number(params.pageSize ?? 20) || 20));
  const page = Math.max(1, Number(params.page ?? 1) || 1);
  const { rows, count } = await store(app).list(em, who.all ? null : who.userId, pageSize, (page - 1) * pageSize);
  // As NocoBase's list, without `params` (they can be large: filters, column lists); `get` has them.
  return { data: rows.map((t) => ({ ...taskToJson(t), params: undefined })), meta: { count, page, pageSize, totalPage: Math.ceil(count / pageSize) } };
};

export const getTask: TaskHandler = async (app, caller, em, params) => {
  const task = await visibleTask(app, caller, em, params);
  return { data: task ? taskToJson(task) : null };
};

/** `asyncTasks:stop`: 202; the node running it stops after its current batch and reports what it committed. */
export const stopTask: TaskHandler = async (app, caller, em, params) => {
  const task = await visibleTask(app, caller, em, params);
  if (!task) throw cbError('CB_ERR_TASK_NOT_FOUND', 'Task not found');
  if (!task.cancelable || isFinished(task.status)) throw cbError('CB_ERR_TASK_NOT_CANCELABLE', 'Task cannot be canceled');
  const changed = await store(app).requestStop(em, task.id);
  await app.broadcast(STOP_EVENT, { app: app.name, taskId: task.id });
  if (changed && isFinished(changed.status)) {
    // Canceled before any node claimed it: no runner will remove the staged import file.
    if (changed.type === 'import') await removeQuietly(app.config.storagePath, changed.inputPath);
    await publishProgress(app.cluster.sync, app.name, progressOf(changed));
  }
  return reply({ data: changed ? taskToJson(changed) : taskToJson(task) }, { status: 202 });
};

/**
 * `asyncTasks:destroy`: removes a finished task and its file (a pending one is canceled first). Others'
 * tasks look missing (404) unless the caller is an admin; a running task is a 409 (stop it first).
 */
export const destroyTask: TaskHandler = async (app, caller, em, params) => {
  const task = await visibleTask(app, caller, em, params);
  if (!task) throw cbError('CB_ERR_TASK_NOT_FOUND', 'Task not found');
  if (task.status === null) {
    const canceled = await store(app).requestStop(em, task.id);
    if (canceled && isFinished(canceled.status)) await publishProgress(app.cluster.sync, app.name, progressOf(canceled));
  }
  const removed = await store(app).remove(em, task.id);
  if (!removed) throw cbError('CB_ERR_TASK_RUNNING', 'The task is running: stop it (asyncTasks:stop) and destroy it once it has ended');
  if (removed.filePath) await removeTaskFile(app.config.storagePath, removed.filePath);
  if (removed.inputPath) await removeQuietly(app.config.storagePath, removed.inputPath);
  return { data: taskToJson(removed) };
};

/**
 * Before a task is accepted (an async export, an import's upload): the caller's pending and stored
 * tasks are under their limits, and STORAGE_PATH's volume has room. 429 / 507 naming the setting.
 */
async function admitTask(app: TasksApp, caller: Caller, em: EntityManager): Promise<void> {
  const who = owner(caller);
  const cfg = app.config.tasks;
  const usage = await store(app).usage(em, who.userId);
  if (usage.pending >= cfg.maxPendingPerUser) {
    throw cbError('CB_ERR_TASK_LIMIT', `You have ${usage.pending} tasks waiting or running, the most ASYNC_TASK_MAX_PENDING_PER_USER (${cfg.maxPendingPerUser}) allows: wait for one to end`);
  }
  if (usage.stored >= cfg.maxStoredPerUser) {
    throw cbError('CB_ERR_TASK_LIMIT', `You keep ${usage.stored} task files, the most ASYNC_TASK_MAX_STORED_PER_USER (${cfg.maxStoredPerUser}) allows: destroy old tasks (asyncTasks:destroy)`);
  }
  await assertFreeSpace(app.config.storagePath, cfg.minFreeBytes);
}

/**
 * Inserts a task after admitTask, holding a per-user advisory lock to the end of the transaction, so
 * concurrent requests of one user cannot all pass the count before any of them has inserted.
 */
async function insertAdmitted(app: TasksApp, caller: Caller, em: EntityManager, task: NewTask): Promise<TaskRow> {
  return em.transactional(async (tx) => {
    await runSql(tx, 'select pg_advisory_xact_lock(hashtext(?))', [`asyncTasks:${app.schema}:${String(owner(caller).userId)}`]);
    await admitTask(app, caller, tx);
    return store(app).insert(tx, task);
  });
}

export const fetchFile: TaskHandler = async (app, caller, em, params) => {
  const task = await visibleTask(app, caller, em, params);
  if (!task) throw cbError('CB_ERR_TASK_NOT_FOUND', 'Task not found');
  if (task.status !== 1 || !task.filePath) throw cbError('CB_ERR_TASK_NO_FILE');
  const fileName = (task.result as { fileName?: string }).fileName ?? 'export';
  const path = absolute(app.config.storagePath, task.filePath);
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw cbError('CB_ERR_TASK_NO_FILE', `The file of task ${task.id} is missing from STORAGE_PATH`);
  return reply(createReadStream(path), attachment(fileName, 'application/octet-stream', { 'content-length': String(info.size) }));
};

/**
 * `asyncTasks:progress?filterByTk=`: Server-Sent Events. One `progress` event with the current state,
 * then one per batch, ending after the event that reports the task finished. A closed connection
 * unsubscribes (the stream's close). A comment line every 15 s keeps proxies from timing out.
 */
export const progressStream: TaskHandler = async (app, caller, em, params) => {
  const task = await visibleTask(app, caller, em, params);
  if (!task) throw cbError('CB_ERR_TASK_NOT_FOUND', 'Task not found');
  const out = new PassThrough();
  const send = (event: ProgressEvent) => {
    if (out.writableEnded || out.destroyed) return;
    out.write(`event: progress\ndata: ${JSON.stringify(event)}\n\n`);
    if (isFinished(event.status)) out.end();
  };
  const sync = app.cluster.sync.forApp(app.name);
  const unsubscribe = await sync.subscribe<ProgressEvent>(PROGRESS_CHANNEL, (event) => {
    if (event?.id === task.id) send(event);
  });
  const keepAlive = setInterval(() => {
    if (!out.writableEnded && !out.destroyed) out.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();
  out.once('close', () => {
    clearInterval(keepAlive);
    void unsubscribe();
  });
  // Read again after subscribing: an end that happened in between is not missed.
  try {
    const now = await store(app).get(app.fork(), task.id);
    send(progressOf(now ?? task));
  } catch (err) {
    out.destroy(); // never handed to the gateway: its close is what unsubscribes
    throw err;
  }
  return reply(out, { type: 'text/event-stream; charset=utf-8', headers: { 'cache-control': 'no-cache', 'x-accel-buffering': 'no' } });
};

async function queueTask(app: TasksApp, task: TaskRow) {
  const message: TaskMessage = { app: app.name, taskId: task.id };
  await app.cluster.queue.publish(taskChannel(app.name), message, { jobId: task.id, attempts: 3 });
  return reply({ data: taskToJson(task) }, { status: 202 });
}

/** The collections a column list reads through relation paths (each needs `list` permission too). */
function relationTargets(meta: CollectionMeta, lookup: CollectionLookup, columns: readonly { dataIndex: readonly string[] }[]): Set<string> {
  const targets = new Set<string>();
  for (const c of columns) {
    let current: CollectionMeta | undefined = meta;
    for (const name of c.dataIndex.slice(0, -1)) {
      const target: CollectionMeta | undefined = current?.fields.get(name)?.target ? lookup(current.fields.get(name)!.target!) : undefined;
      if (!target) break;
      if (target.name !== meta.name) targets.add(target.name);
      current = target;
    }
  }
  return targets;
}

const truthy = (v: unknown) => v === true || v === 'true' || v === '1' || v === 1;

/** Body fields (JSON or multipart) win over the query string, as NocoBase reads `values.columns` first. */
function param(params: TaskParams, name: string): unknown {
  const values = (params.values ?? {}) as Record<string, unknown>;
  return values[name] ?? params[name];
}

/**
 * `<collection>:export`: validates columns, filter and sort, then answers the file at once when at
 * most EXPORT_INLINE_MAX_ROWS rows match (and `async` is not true), else 202 with the queued task.
 * The action wrapper checked `list` on the collection.
 */
export const exportAction: TaskHandler = async (app, caller, em, params) => {
  const name = String(params.resourceName);
  const collection = app.data.collections.require(name);
  const format = String(param(params, 'format') ?? 'xlsx');
  if (format !== 'xlsx' && format !== 'csv') throw cbError('CB_ERR_VALIDATION', 'format must be xlsx or csv');
  const rawTitle = param(params, 'title') ?? collection.title ?? name;
  if (typeof rawTitle !== 'string' && typeof rawTitle !== 'number') throw cbError('CB_ERR_VALIDATION', 'title must be a string');
  const title = String(rawTitle);
  if (title.length > TITLE_MAX - 'Export '.length) throw cbError('CB_ERR_VALIDATION', `title must be at most ${TITLE_MAX - 'Export '.length} characters`);
  const input = { meta: collection, lookup: (n: string) => app.data.collections.get(n), columns: param(params, 'columns'), filter: param(params, 'filter'), sort: param(params, 'sort') };
  exportQuery(input); // 400s before anything is queued
  const columns = parseColumns(input.columns, collection);
  // A relation path reads another collection: the caller must be allowed to list it too.
  for (const target of relationTargets(collection, input.lookup, columns)) caller.assertCan(target, 'list');
  const cfg = app.config.tasks;
  if (!truthy(param(params, 'async')) && (await countExportRows(em, input)) <= cfg.exportInlineMaxRows) {
    // Written to a file first (a short, deadline-bound transaction), then streamed: a slow reader
    // holds a file and a socket, never a pool connection (inline-export.ts).
    const release = takeExportSlot(`${app.name}:${caller.principal}`, cfg.exportMaxConcurrentPerUser);
    const deadline = caller.request.deadline;
    const out = await spoolExport(em.fork(), { ...input, format, aesKey: app.aesKey, batchSize: cfg.batchSize, ...(deadline !== undefined ? { deadline } : {}) }, app.config.storagePath, release);
    return reply(out, attachment(safeFileName(title, format), format === 'csv' ? CONTENT_TYPES.csv : 'application/octet-stream'));
  }
  const who = owner(caller);
  const exportParams: ExportParams = { collection: name, format, title, columns, filter: input.filter, sort: input.sort };
  const task = await insertAdmitted(app, caller, em, { id: randomUUID(), origin: name, type: 'export', title: taskTitle(`Export ${title}`), params: { ...exportParams }, createdById: who.userId });
  return queueTask(app, task);
};

/**
 * First step of a multipart import: the gateway hands each file part over while it streams in; `file`
 * is staged under STORAGE_PATH (the action wrapper checked `create` on the collection first).
 */
async function stageImportFile(app: TasksApp, caller: Caller, em: EntityManager, upload: NonNullable<TaskParams['$upload']>): Promise<StagedUpload | null> {
  const stream = upload.stream;
  if (!stream) throw cbError('CB_ERR_VALIDATION', `the multipart field "${upload.field}" carried no file`);
  // Only `file` is staged: other file parts are drained and ignored (never written, never left behind).
  if (upload.field !== 'file') {
    stream.resume();
    return null;
  }
  // Refused before a byte is written; the rest of the part is drained.
  try {
    await admitTask(app, caller, em);
  } catch (err) {
    stream.resume();
    throw err;
  }
  return stageUpload(app.config.storagePath, stream, upload.fileName, app.config.tasks.importMaxFileSize);
}

/** The staged file a refused import leaves behind is removed (the wrapper calls this when it refuses the caller). */
export async function discardStagedImport(storagePath: string, params: TaskParams): Promise<void> {
  const file = params.files?.file;
  if (file && isStagedUpload(file.path)) await removeQuietly(storagePath, file.path);
}

/**
 * `<collection>:importXlsx` / `:importCsv` (multipart: `file`, `columns`, optional `mode`,
 * `uniqueField`, `allOrNothing`, `triggerWorkflows`): checks columns and the header row, queues the
 * task and answers 202 with it; its result lists every rejected row.
 */
export function importAction(format: 'xlsx' | 'csv'): TaskHandler {
  return async (app, caller, em, params) => {
    if (params.$upload) return stageImportFile(app, caller, em, params.$upload);
    const name = String(params.resourceName);
    const mode = String(param(params, 'mode') ?? 'insert');
    const file = (params.files ?? {}).file;
    // Only a path stageUpload produced: `files` must never name another file under STORAGE_PATH (a
    // query string `?files[file][path]=tasks/main/<id>/x.xlsx` would import, then delete, another task's file).
    if (!file || !isStagedUpload(file.path) || typeof file.fileName !== 'string') {
      throw cbError('CB_ERR_VALIDATION', 'A multipart field "file" with the file to import is required');
    }
    const storage = app.config.storagePath;
    try {
      if (mode === 'upsert') caller.assertCan(name, 'update');
      if (mode !== 'insert' && mode !== 'upsert') throw cbError('CB_ERR_VALIDATION', 'mode must be insert or upsert');
      const collection = app.data.collections.require(name);
      const columns = parseColumns(param(params, 'columns'), collection);
      importColumns(collection, columns);
      await checkHeaderIsolated({ path: absolute(storage, file.path), format, titles: columns.map(columnTitle), limits: app.config.tasks.xlsx }, app.config.tasks.headerCheck);
      const who = owner(caller);
      const importParams: ImportParams = {
        collection: name, format, columns, mode, uniqueField: param(params, 'uniqueField') as string | undefined,
        allOrNothing: truthy(param(params, 'allOrNothing')), triggerWorkflows: truthy(param(params, 'triggerWorkflows')), fileName: file.fileName,
      };
      if (mode === 'upsert') {
        const unique = typeof importParams.uniqueField === 'string' ? collection.fields.get(importParams.uniqueField) : undefined;
        if (!unique) throw cbError('CB_ERR_VALIDATION', `upsert needs uniqueField naming a field of "${name}"`);
        if (!unique.unique && !unique.primaryKey) throw cbError('CB_ERR_VALIDATION', `uniqueField "${unique.name}" of "${name}" is not unique (declare it unique, or use the primary key)`);
        if (!columns.some((c) => c.dataIndex.length === 1 && c.dataIndex[0] === unique.name)) throw cbError('CB_ERR_VALIDATION', `uniqueField "${unique.name}" must be one of the imported columns`);
      }
      const task = await insertAdmitted(app, caller, em, { id: randomUUID(), origin: name, type: 'import', title: taskTitle(`Import ${file.fileName}`), params: { ...importParams }, createdById: who.userId, inputPath: file.path });
      return await queueTask(app, task);
    } catch (err) {
      await removeQuietly(storage, file.path);
      throw err;
    }
  };
}

/** `<collection>:downloadXlsxTemplate`: explain row, one description row per described column, the header row. */
export const templateAction: TaskHandler = async (app, _caller, _em, params) => {
  const name = String(params.resourceName);
  const collection = app.data.collections.require(name);
  const columns = parseColumns(param(params, 'columns'), collection);
  importColumns(collection, columns);
  const explain = param(params, 'explain');
  return reply(await xlsxTemplate(columns, typeof explain === 'string' ? explain : undefined), attachment(`${name}-import-template.xlsx`, CONTENT_TYPES.xlsx));
};
