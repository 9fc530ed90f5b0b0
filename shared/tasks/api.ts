import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { bearerToken } from '../auth/index.js';
import type { CollectionLookup, CollectionMeta } from '../data/index.js';
import { cbError } from '../errors/index.js';
import { appAuth, authorize, nodeState, type DataCtx as Ctx, type DataLog as Log } from '../runtime/index.js';
import { columnTitle, parseColumns } from './columns.js';
import { countExportRows, exportQuery, writeExport } from './export.js';
import { importColumns } from './import.js';
import { isFinished, PROGRESS_CHANNEL, progressOf, publishProgress, STOP_EVENT } from './progress.js';
import { checkHeader } from './reader.js';
import { absolute, isStagedUpload, removeQuietly, safeFileName, stageUpload, type StagedUpload } from './storage.js';
import { TaskStore } from './task-store.js';
import { taskChannel } from './processor.js';
import { xlsxTemplate } from './template.js';
import type { ExportParams, ImportParams, ProgressEvent, TaskMessage, TaskRow } from './types.js';
import { CONTENT_TYPES } from './writers.js';

/**
 * The requests-role side of tasks: `<collection>:export|importXlsx|importCsv|downloadXlsxTemplate`
 * and `asyncTasks:list|get|stop|fetchFile|progress`. Files and streams are answered through
 * `ctx.meta.$responseType` / `$responseHeaders` / `$statusCode` (the gateway pipes them).
 */

type Meta = { $statusCode?: number; $responseType?: string; $responseHeaders?: Record<string, string>; $upload?: UploadMeta };
interface UploadMeta {
  readonly field: string;
  readonly fileName: string;
  readonly mimeType: string;
}

const meta = (ctx: Ctx) => ctx.meta as Ctx['meta'] & Meta;
const app = (ctx: Ctx) => ctx.meta.app ?? 'main';
const store = (ctx: Ctx) => new TaskStore(nodeState(ctx.broker).schemaOf(app(ctx)));
const tasksConfig = (ctx: Ctx) => nodeState(ctx.broker).config.tasks;

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

function attachment(ctx: Ctx, fileName: string, type: string): void {
  meta(ctx).$responseType = type;
  // nosniff: a browser never renders a downloaded export (user text) as HTML or script.
  meta(ctx).$responseHeaders = { 'content-disposition': contentDisposition(fileName), 'x-content-type-options': 'nosniff' };
}

/** `asyncTasks.title` is varchar(255). */
const TITLE_MAX = 255;
const taskTitle = (s: string) => s.slice(0, TITLE_MAX);

/** The signed-in caller; admins and root see every task, others their own. */
async function caller(ctx: Ctx, log: Log) {
  const auth = await appAuth(nodeState(ctx.broker), app(ctx), log);
  const { user, roles } = await auth.check(ctx.locals.em, bearerToken(ctx.meta.authorization));
  return { userId: user.id, all: roles.includes('root') || roles.includes('admin') };
}

/** The task when the caller may see it; others' tasks look missing (404), as NocoBase scopes them. */
async function visibleTask(ctx: Ctx, log: Log): Promise<TaskRow | undefined> {
  const id = ctx.params.filterByTk;
  if (id === undefined || id === '') throw cbError('CB_ERR_TASK_ID_REQUIRED', 'Task id is required');
  const who = await caller(ctx, log);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(id))) return undefined;
  const task = await store(ctx).get(ctx.locals.em, String(id));
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

export async function listTasks(ctx: Ctx, log: Log) {
  const who = await caller(ctx, log);
  const pageSize = Math.min(1000, Math.max(1, Number(ctx.params.pageSize ?? 20) || 20));
  const page = Math.max(1, Number(ctx.params.page ?? 1) || 1);
  const { rows, count } = await store(ctx).list(ctx.locals.em, who.all ? null : who.userId, pageSize, (page - 1) * pageSize);
  // As NocoBase's list, without `params` (they can be large: filters, column lists); `get` has them.
  return { data: rows.map((t) => ({ ...taskToJson(t), params: undefined })), meta: { count, page, pageSize, totalPage: Math.ceil(count / pageSize) } };
}

export async function getTask(ctx: Ctx, log: Log) {
  const task = await visibleTask(ctx, log);
  return { data: task ? taskToJson(task) : null };
}

/** `asyncTasks:stop`: 202; the node running it stops after its current batch and reports what it committed. */
export async function stopTask(ctx: Ctx, log: Log) {
  const task = await visibleTask(ctx, log);
  if (!task) throw cbError('CB_ERR_TASK_NOT_FOUND', 'Task not found');
  if (!task.cancelable || isFinished(task.status)) throw cbError('CB_ERR_TASK_NOT_CANCELABLE', 'Task cannot be canceled');
  const changed = await store(ctx).requestStop(ctx.locals.em, task.id);
  await ctx.broker.broadcast(STOP_EVENT, { app: app(ctx), taskId: task.id });
  if (changed && isFinished(changed.status)) {
    // Canceled before any node claimed it: no runner will remove the staged import file.
    if (changed.type === 'import') await removeQuietly(nodeState(ctx.broker).config.storagePath, changed.inputPath);
    await publishProgress(nodeState(ctx.broker).services().cluster.sync, app(ctx), progressOf(changed));
  }
  meta(ctx).$statusCode = 202;
  return { data: changed ? taskToJson(changed) : taskToJson(task) };
}

export async function fetchFile(ctx: Ctx, log: Log): Promise<Readable> {
  const task = await visibleTask(ctx, log);
  if (!task) throw cbError('CB_ERR_TASK_NOT_FOUND', 'Task not found');
  if (task.status !== 1 || !task.filePath) throw cbError('CB_ERR_TASK_NO_FILE');
  const fileName = (task.result as { fileName?: string }).fileName ?? 'export';
  const path = absolute(nodeState(ctx.broker).config.storagePath, task.filePath);
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw cbError('CB_ERR_TASK_NO_FILE', `The file of task ${task.id} is missing from STORAGE_PATH`);
  attachment(ctx, fileName, 'application/octet-stream');
  meta(ctx).$responseHeaders!['content-length'] = String(info.size);
  return createReadStream(path);
}

/**
 * `asyncTasks:progress?filterByTk=`: Server-Sent Events. One `progress` event with the current state,
 * then one per batch, ending after the event that reports the task finished. A closed connection
 * unsubscribes (the stream's close). A comment line every 15 s keeps proxies from timing out.
 */
export async function progressStream(ctx: Ctx, log: Log): Promise<Readable> {
  const task = await visibleTask(ctx, log);
  if (!task) throw cbError('CB_ERR_TASK_NOT_FOUND', 'Task not found');
  const out = new PassThrough();
  const send = (event: ProgressEvent) => {
    if (out.writableEnded || out.destroyed) return;
    out.write(`event: progress\ndata: ${JSON.stringify(event)}\n\n`);
    if (isFinished(event.status)) out.end();
  };
  meta(ctx).$responseType = 'text/event-stream; charset=utf-8';
  meta(ctx).$responseHeaders = { 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };
  const sync = nodeState(ctx.broker).services().cluster.sync.forApp(app(ctx));
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
    const now = await store(ctx).get(nodeState(ctx.broker).databaseOf(app(ctx)).fork(nodeState(ctx.broker).schemaOf(app(ctx))), task.id);
    send(progressOf(now ?? task));
  } catch (err) {
    out.destroy(); // never handed to the gateway: its close is what unsubscribes
    throw err;
  }
  return out;
}

async function queueTask(ctx: Ctx, task: TaskRow) {
  const message: TaskMessage = { app: app(ctx), taskId: task.id };
  await nodeState(ctx.broker).services().cluster.queue.publish(taskChannel(app(ctx)), message, { jobId: task.id, attempts: 3 });
  meta(ctx).$statusCode = 202;
  return { data: taskToJson(task) };
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
function param(ctx: Ctx, name: string): unknown {
  const values = (ctx.params.values ?? {}) as Record<string, unknown>;
  return values[name] ?? ctx.params[name];
}

/**
 * `<collection>:export`: validates columns, filter and sort, then answers the file at once when at
 * most EXPORT_INLINE_MAX_ROWS rows match (and `async` is not true), else 202 with the queued task.
 */
export async function exportAction(ctx: Ctx, log: Log) {
  const name = String(ctx.params.resourceName);
  const data = await authorize(ctx, log, name, 'list');
  const collection = data.collections.require(name);
  const format = String(param(ctx, 'format') ?? 'xlsx');
  if (format !== 'xlsx' && format !== 'csv') throw cbError('CB_ERR_VALIDATION', 'format must be xlsx or csv');
  const rawTitle = param(ctx, 'title') ?? collection.title ?? name;
  if (typeof rawTitle !== 'string' && typeof rawTitle !== 'number') throw cbError('CB_ERR_VALIDATION', 'title must be a string');
  const title = String(rawTitle);
  if (title.length > TITLE_MAX - 'Export '.length) throw cbError('CB_ERR_VALIDATION', `title must be at most ${TITLE_MAX - 'Export '.length} characters`);
  const input = { meta: collection, lookup: (n: string) => data.collections.get(n), columns: param(ctx, 'columns'), filter: param(ctx, 'filter'), sort: param(ctx, 'sort') };
  exportQuery(input); // 400s before anything is queued
  const columns = parseColumns(input.columns, collection);
  // A relation path reads another collection: the caller must be allowed to list it too.
  for (const target of relationTargets(collection, input.lookup, columns)) await authorize(ctx, log, target, 'list');
  const cfg = tasksConfig(ctx);
  if (!truthy(param(ctx, 'async')) && (await countExportRows(ctx.locals.em, input)) <= cfg.exportInlineMaxRows) {
    const out = new PassThrough();
    const em = ctx.locals.em.fork();
    const aesKey = nodeState(ctx.broker).services().secrets.aesKey;
    // The client going away (the gateway destroys the stream) ends the cursor at its next batch.
    const gone = new AbortController();
    out.once('close', () => gone.abort(new Error('the client went away')));
    writeExport(em, { ...input, format, aesKey, batchSize: cfg.batchSize, signal: gone.signal }, out).catch((err) => {
      log.error(`inline export of ${name} failed: ${(err as Error).message}`);
      out.destroy(err as Error);
    });
    attachment(ctx, safeFileName(title, format), format === 'csv' ? CONTENT_TYPES.csv : 'application/octet-stream');
    return out;
  }
  const who = await caller(ctx, log);
  const params: ExportParams = { collection: name, format, title, columns, filter: input.filter, sort: input.sort };
  const task = await store(ctx).insert(ctx.locals.em, { id: randomUUID(), origin: name, type: 'export', title: taskTitle(`Export ${title}`), params: params as never, createdById: who.userId });
  return queueTask(ctx, task);
}

/** First step of a multipart import: the gateway hands each file over as `ctx.stream`; it is staged under STORAGE_PATH. */
export async function stageImportFile(ctx: Ctx, log: Log): Promise<StagedUpload | null> {
  const upload = meta(ctx).$upload!;
  const stream = (ctx as Ctx & { stream?: Readable }).stream;
  if (!stream) throw cbError('CB_ERR_VALIDATION', `the multipart field "${upload.field}" carried no file`);
  // Only `file` is staged: other file parts are drained and ignored (never written, never left behind).
  if (upload.field !== 'file') {
    stream.resume();
    return null;
  }
  try {
    await authorize(ctx, log, String(ctx.params.resourceName), 'create');
  } catch (err) {
    stream.resume();
    throw err;
  }
  const state = nodeState(ctx.broker);
  return stageUpload(state.config.storagePath, stream, upload.fileName, state.config.tasks.importMaxFileSize);
}

/**
 * `<collection>:importXlsx` / `:importCsv` (multipart: `file`, `columns`, optional `mode`,
 * `uniqueField`, `allOrNothing`, `triggerWorkflows`): checks columns and the header row, queues the
 * task and answers 202 with it; its result lists every rejected row.
 */
export async function importAction(ctx: Ctx, log: Log, format: 'xlsx' | 'csv') {
  if (meta(ctx).$upload) return stageImportFile(ctx, log);
  const name = String(ctx.params.resourceName);
  const mode = String(param(ctx, 'mode') ?? 'insert');
  const file = ((ctx.params as { files?: Record<string, StagedUpload | null> }).files ?? {}).file;
  // Only a path stageUpload produced: `files` must never name another file under STORAGE_PATH (a
  // query string `?files[file][path]=tasks/main/<id>/x.xlsx` would import, then delete, another task's file).
  if (!file || !isStagedUpload(file.path) || typeof file.fileName !== 'string') {
    throw cbError('CB_ERR_VALIDATION', 'A multipart field "file" with the file to import is required');
  }
  const storage = nodeState(ctx.broker).config.storagePath;
  try {
    const data = await authorize(ctx, log, name, 'create');
    if (mode === 'upsert') await authorize(ctx, log, name, 'update');
    if (mode !== 'insert' && mode !== 'upsert') throw cbError('CB_ERR_VALIDATION', 'mode must be insert or upsert');
    const collection = data.collections.require(name);
    const columns = parseColumns(param(ctx, 'columns'), collection);
    importColumns(collection, columns);
    await checkHeader(absolute(storage, file.path), format, columns.map(columnTitle));
    const who = await caller(ctx, log);
    const params: ImportParams = {
      collection: name, format, columns, mode, uniqueField: param(ctx, 'uniqueField') as string | undefined,
      allOrNothing: truthy(param(ctx, 'allOrNothing')), triggerWorkflows: truthy(param(ctx, 'triggerWorkflows')), fileName: file.fileName,
    };
    if (mode === 'upsert') {
      const unique = typeof params.uniqueField === 'string' ? collection.fields.get(params.uniqueField) : undefined;
      if (!unique) throw cbError('CB_ERR_VALIDATION', `upsert needs uniqueField naming a field of "${name}"`);
      if (!unique.unique && !unique.primaryKey) throw cbError('CB_ERR_VALIDATION', `uniqueField "${unique.name}" of "${name}" is not unique (declare it unique, or use the primary key)`);
      if (!columns.some((c) => c.dataIndex.length === 1 && c.dataIndex[0] === unique.name)) throw cbError('CB_ERR_VALIDATION', `uniqueField "${unique.name}" must be one of the imported columns`);
    }
    const task = await store(ctx).insert(ctx.locals.em, { id: randomUUID(), origin: name, type: 'import', title: taskTitle(`Import ${file.fileName}`), params: params as never, createdById: who.userId, inputPath: file.path });
    return await queueTask(ctx, task);
  } catch (err) {
    await removeQuietly(storage, file.path);
    throw err;
  }
}

/** `<collection>:downloadXlsxTemplate`: explain row, one description row per described column, the header row. */
export async function templateAction(ctx: Ctx, log: Log) {
  const name = String(ctx.params.resourceName);
  const data = await authorize(ctx, log, name, 'create');
  const collection = data.collections.require(name);
  const columns = parseColumns(param(ctx, 'columns'), collection);
  importColumns(collection, columns);
  const explain = param(ctx, 'explain');
  attachment(ctx, `${name}-import-template.xlsx`, CONTENT_TYPES.xlsx);
  return xlsxTemplate(columns, typeof explain === 'string' ? explain : undefined);
}

