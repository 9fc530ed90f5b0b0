import { randomBytes } from 'node:crypto';
import { extname as extOf } from 'node:path';
import type { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../auth/index.js';
import type { FieldMeta } from '../data/index.js';
import type { AppData } from '../data-api/index.js';
import { getRecord, targetFilter } from '../data-api/index.js';
import { cbError, type Logger } from '../errors/index.js';
import { reply } from '../gateway/index.js';
import { compileFilter } from '../query/index.js';
import { qualified, runSql } from '../sql/index.js';
import { isStagedUpload, removeQuietly, stageUpload, storageFile } from '../tasks/index.js';
import { StorageAdapters } from './adapters.js';
import { DEFAULT_SIZE_LIMIT, findStorage } from './storages.js';
import type { StorageRecord } from './types.js';

/** The part of an app (shared/apps AppContext) attachments use. */
export interface FilesApp {
  readonly schema: string;
  readonly ids: { next(): number };
  readonly data: AppData;
  readonly config: { readonly storagePath: string };
  readonly log: Pick<Logger, 'warn'>;
}

/** A file part while the gateway streams it in (services/support/rest-action.ts UploadedPart). */
export interface UploadPart {
  readonly field: string;
  readonly fileName: string;
  readonly mimeType: string;
  readonly stream: Readable | undefined;
}

export type FilesParams = Record<string, unknown> & { $upload?: UploadPart; files?: Record<string, unknown>; filterByTk?: unknown; filter?: unknown };

/** What staging a part hands to the final call (`params.files.file`; a client can never set it). */
interface Staged {
  readonly path: string;
  readonly fileName: string;
  readonly size: number;
  readonly mimeType: string;
  readonly storageId: number;
}

const adapters = new WeakMap<AppData, StorageAdapters>();
function adaptersOf(app: FilesApp): StorageAdapters {
  let found = adapters.get(app.data);
  if (!found) adapters.set(app.data, (found = new StorageAdapters(app.config.storagePath)));
  return found;
}

const fileKey = (path: unknown, filename: unknown) => (typeof path === 'string' && path !== '' ? `${path}/${String(filename)}` : String(filename));

/** Does `mimeType` match a storage's `rules.mimetype` (`image/*,application/pdf`; empty: anything)? */
export function mimeAllowed(rule: string | undefined, mimeType: string): boolean {
  if (!rule || rule.trim() === '' || rule.trim() === '*') return true;
  const type = mimeType.toLowerCase();
  return rule.split(',').map((r) => r.trim().toLowerCase()).some((r) => r !== '' && (r === type || (r.endsWith('/*') && type.startsWith(r.slice(0, -1)))));
}

/**
 * The storage of an upload: the one the attachment field names (`?attachmentField=<collection>.<field>`,
 * its `storage` option, as NocoBase's file manager), else the default storage.
 */
async function uploadStorage(app: FilesApp, em: EntityManager, params: FilesParams): Promise<StorageRecord> {
  let field: FieldMeta | undefined;
  if (typeof params.attachmentField === 'string' && params.attachmentField !== '') {
    const [collection = '', name = ''] = params.attachmentField.split('.');
    field = app.data.collections.get(collection)?.fields.get(name);
    // Made through another node a moment ago (its sync signal may still be on the way): read it.
    field ??= (await app.data.collections.refresh(em, collection))?.fields.get(name);
    if (!field) throw cbError('CB_ERR_VALIDATION', `attachmentField "${params.attachmentField.slice(0, 128)}" is not a field`);
  }
  const storage = field ? ((field as { storage?: unknown }).storage ?? (field.options as { storage?: unknown } | undefined)?.storage) : undefined;
  return findStorage(em, app.schema, { name: storage });
}

/**
 * The staging step (the gateway hands each file part over while it streams in, after the caller was
 * checked): the `file` part is refused before a byte is read when its type is not allowed, and counted
 * while it is staged under STORAGE_PATH/tmp/uploads: past the storage's size limit the write stops and
 * nothing is kept (413).
 */
async function stage(app: FilesApp, em: EntityManager, params: FilesParams, part: UploadPart): Promise<Staged | null> {
  const stream = part.stream;
  if (!stream) throw cbError('CB_ERR_VALIDATION', `the multipart field "${part.field}" carried no file`);
  if (part.field !== 'file') {
    stream.resume();
    return null;
  }
  const storage = await uploadStorage(app, em, params);
  if (!mimeAllowed(storage.rules.mimetype, part.mimeType)) {
    stream.resume();
    throw cbError('CB_ERR_FILE_TYPE_REFUSED', `Files of type ${part.mimeType.slice(0, 100)} are not allowed in storage "${storage.name}"`);
  }
  const max = storage.rules.size ?? DEFAULT_SIZE_LIMIT;
  const staged = await stageUpload(app.config.storagePath, stream, part.fileName, max, (limit) =>
    cbError('CB_ERR_FILE_TOO_LARGE', `The uploaded file is larger than the size limit of storage "${storage.name}" (${limit} bytes)`),
  );
  return { path: staged.path, fileName: part.fileName, size: staged.size, mimeType: part.mimeType, storageId: storage.id };
}

/** The staged file a refused upload leaves behind is removed (the action wrapper calls this). */
export async function discardStagedAttachment(storagePath: string, params: FilesParams): Promise<void> {
  const file = params.files?.file as Partial<Staged> | undefined;
  if (file && isStagedUpload(file.path)) await removeQuietly(storagePath, file.path);
}

/**
 * `attachments:create` (multipart, field `file`): stores the staged file in its storage under a random
 * name (NocoBase's `renameMode: random`) and creates the attachments record (createdBy the caller),
 * answered as NocoBase's file manager does: `{id, title, filename, extname, size, mimetype, path, url,
 * storageId, …}`. `url` is the storage's `baseUrl` + key when it has one, else `attachments:download`.
 */
export async function createAttachment(app: FilesApp, caller: Caller, em: EntityManager, params: FilesParams) {
  if (params.$upload) return stage(app, em, params, params.$upload);
  const file = params.files?.file as Staged | undefined;
  if (!file || !isStagedUpload(file.path)) throw cbError('CB_ERR_VALIDATION', 'A multipart field "file" with the file to upload is required');
  const local = storageFile(app.config.storagePath, file.path);
  try {
    const storage = await findStorage(em, app.schema, { id: file.storageId });
    const ext = extOf(file.fileName).slice(0, 32).replace(/[^A-Za-z0-9._-]/g, '');
    const filename = `${randomBytes(16).toString('hex')}${ext}`;
    const key = fileKey(storage.path, filename);
    const adapter = adaptersOf(app).of(storage);
    await adapter.put(key, { localPath: local, size: file.size, mimeType: file.mimeType });
    // The id is made here so the record is written once, with its download URL.
    const id = app.ids.next();
    const values = {
      id,
      title: file.fileName.slice(0, 255 - ext.length).replace(new RegExp(`${ext.replace(/\./g, '\\.')}$`), '') || filename,
      filename,
      extname: ext,
      size: file.size,
      mimetype: file.mimeType.slice(0, 255),
      path: storage.path,
      meta: {},
      storageId: storage.id,
      url: storage.baseUrl ? `${storage.baseUrl}/${key}` : `/api/attachments:download?filterByTk=${id}`,
    };
    try {
      return { data: await app.data.records.create(em, 'attachments', values, { internal: true, ...(caller.user ? { userId: caller.user.id } : {}) }) };
    } catch (err) {
      await adapter.remove(key).catch(() => undefined);
      throw err;
    }
  } finally {
    await removeQuietly(app.config.storagePath, file.path);
  }
}

/**
 * `attachments:download?filterByTk=`: the file's bytes from its storage (any node: local storage is
 * shared, S3 is S3), with its type; the caller's scope on attachments applies (the wrapper merged it
 * into `filter`).
 */
export async function downloadAttachment(app: FilesApp, _caller: Caller, em: EntityManager, params: FilesParams) {
  const meta = app.data.collections.require('attachments');
  if (params.filterByTk === undefined || params.filterByTk === '') throw cbError('CB_ERR_VALIDATION', 'filterByTk is required');
  const record = await getRecord(em, meta, (n) => app.data.collections.get(n), { filterByTk: params.filterByTk, filter: params.filter });
  if (!record) throw cbError('CB_ERR_HTTP_NOT_FOUND', 'Attachment not found');
  const storage = await findStorage(em, app.schema, { id: record.storageId });
  const body = await adaptersOf(app).of(storage).get(fileKey(record.path, record.filename));
  const name = `${String(record.title ?? 'file')}${String(record.extname ?? '')}`;
  return reply(body, {
    type: typeof record.mimetype === 'string' && record.mimetype !== '' ? record.mimetype : 'application/octet-stream',
    headers: { 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`, 'x-content-type-options': 'nosniff' },
  });
}

/**
 * `attachments:destroy?filterByTk=|filter=`: removes the records (scoped as any destroy) and then their
 * files, unless their storage is `paranoid`. A file that cannot be removed is logged, never un-deletes
 * the record.
 */
export async function destroyAttachments(app: FilesApp, caller: Caller, em: EntityManager, params: FilesParams) {
  const meta = app.data.collections.require('attachments');
  const lookup = (n: string) => app.data.collections.get(n);
  const target = targetFilter(meta, params.filterByTk, params.filter);
  if (target === undefined) throw cbError('CB_ERR_VALIDATION', 'filterByTk or a non-empty filter is required');
  const where = compileFilter(target, meta, lookup, { timezone: caller.request.timezone });
  const { rows } = await runSql<{ path: string | null; filename: string; storageId: string | null }>(
    em,
    `select "path", "filename", "storageId" from ${qualified(meta.schema, meta.table)} where ${where.sql}`,
    where.params,
  );
  const count = await app.data.records.destroyWhere(em, 'attachments', where, caller.user ? { userId: caller.user.id } : {});
  for (const row of rows) {
    try {
      const storage = await findStorage(em, app.schema, { id: row.storageId });
      if (!storage.paranoid) await adaptersOf(app).of(storage).remove(fileKey(row.path, row.filename));
    } catch (err) {
      app.log.warn(`attachment file ${row.filename} was not removed from its storage: ${(err as Error).message}`);
    }
  }
  return { data: count };
}
