import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppContext } from '../shared/apps/index.js';
import type { Caller } from '../shared/auth/index.js';
import { dataActions, type DataParams } from '../shared/data-api/index.js';
import { cbError } from '../shared/errors/index.js';
import * as files from '../shared/files/index.js';
import { requestsService } from '../shared/runtime/index.js';
import { restAction } from './support/rest-action.js';

const filesApp = (app: AppContext): files.FilesApp => ({ schema: app.schema, ids: app.cluster.ids, data: app.data, config: app.config, log: app.log });
type Run = (app: files.FilesApp, caller: Caller, em: EntityManager, params: files.FilesParams) => Promise<unknown>;

/** An attachments action, checked (with scopes and fields) as `permission` on the attachments collection. */
const attachments = (name: string, write: boolean, run: Run, permission = name) =>
  restAction({ resource: 'attachments', action: name, write, access: { action: permission } }, (app: AppContext, caller, em, params) =>
    run(filesApp(app), caller, em, params as files.FilesParams),
  );

/** storages:* — root and admin (checked in shared/files). */
const storages = (name: 'list' | 'get' | 'create' | 'update' | 'destroy', write: boolean) =>
  restAction({ resource: 'storages', action: name, write, access: 'signed-in' }, (app: AppContext, caller, em, params) =>
    files.storagesAction({ schema: app.schema, ids: app.cluster.ids }, caller, em, params, name),
  );

/** What a client may not change on an attachment: where its file is. */
const STORAGE_COLUMNS = ['filename', 'path', 'storageId', 'size', 'mimetype', 'extname', 'url'];

/**
 * Files (requests role): NocoBase's file manager — `attachments:create` (multipart `file`, staged
 * under STORAGE_PATH while the caller is already checked, limited by its storage's rules),
 * `attachments:download`, `attachments:destroy` (removes the files too) and `storages:*`. The other
 * attachments actions are the data API's (attachments is a collection). Logic in shared/files.
 */
const FilesService = requestsService({
  name: 'files',
  actions: {
    attachmentsCreate: restAction(
      { resource: 'attachments', action: 'create', write: true, upload: true, collection: true, onRefused: (p, config) => files.discardStagedAttachment(config.storagePath, p as files.FilesParams) },
      (app: AppContext, caller, em, params) => files.createAttachment(filesApp(app), caller, em, params as files.FilesParams),
    ),
    attachmentsDownload: attachments('download', false, files.downloadAttachment, 'get'),
    attachmentsDestroy: attachments('destroy', true, files.destroyAttachments),
    // The data API's update, minus the columns that say where the file is.
    attachmentsUpdate: restAction({ resource: 'attachments', action: 'update', write: true, access: { action: 'update' } }, (app: AppContext, caller, em, params) => {
      const values = params.values && typeof params.values === 'object' && !Array.isArray(params.values) ? (params.values as Record<string, unknown>) : {};
      const kept = Object.fromEntries(Object.entries(values).filter(([k]) => !STORAGE_COLUMNS.includes(k)));
      return dataActions.updateRecords(app, caller, em, { ...(params as DataParams), resourceName: 'attachments', values: kept });
    }),
    // Records pointing at a storage key are made only by attachments:create: the records actions that
    // would write `filename`/`path`/`storageId` from a request are refused for attachments.
    ...Object.fromEntries(
      ['firstOrCreate', 'updateOrCreate', 'importXlsx', 'importCsv'].map((name) => [
        `attachments${name[0]!.toUpperCase()}${name.slice(1)}`,
        restAction({ resource: 'attachments', action: name, write: true, access: { action: 'create' } }, () => {
          throw cbError('CB_ERR_VALIDATION', `attachments:${name} is not available: files are uploaded with attachments:create`);
        }),
      ]),
    ),
    storagesList: storages('list', false),
    storagesGet: storages('get', false),
    storagesCreate: storages('create', true),
    storagesUpdate: storages('update', true),
    storagesDestroy: storages('destroy', true),
  },
});

export = FilesService;
