import type { ActionParams } from 'moleculer';
import { nodeState, requestsService } from '../shared/runtime/index.js';
import { checkWritable, destroyTask, discardStagedImport, exportAction, fetchFile, getTask, importAction, listTasks, progressStream, stopTask, templateAction, type TaskHandler } from '../shared/tasks/index.js';
import { restAction, type Access } from './support/rest-action.js';

// Parameter schemas (fastest-validator; also the OpenAPI document). Lenient where NocoBase's client
// sends JSON text or strings (columns, filter, flags); shared/tasks checks them and names the problem.
const taskId = { filterByTk: { type: 'string', optional: true } } as const;
const exportParams = {
  format: { type: 'enum', values: ['xlsx', 'csv'], optional: true },
  title: { type: 'string', optional: true, max: 248 },
  async: 'any|optional',
  filter: 'any|optional',
  sort: 'any|optional',
  columns: 'any|optional',
  values: { type: 'object', optional: true, props: { columns: 'any|optional', title: 'any|optional', format: 'any|optional', filter: 'any|optional', sort: 'any|optional' } },
} as const;
const importParams = {
  values: {
    type: 'object',
    optional: true,
    // Not enums or strings: a refused request must reach the action, which removes the staged file.
    props: { columns: 'any|optional', mode: 'any|optional', uniqueField: 'any|optional', allOrNothing: 'any|optional', triggerWorkflows: 'any|optional' },
  },
} as const;
const templateParams = { values: { type: 'object', optional: true, props: { columns: 'any|optional', explain: 'string|optional' } }, columns: 'any|optional', explain: 'string|optional' } as const;
const listParams = { page: { type: 'number', integer: true, min: 1, optional: true, convert: true }, pageSize: { type: 'number', integer: true, min: 1, max: 1000, optional: true, convert: true } } as const;

/** Records actions check the collection in the path; asyncTasks actions only a signed-in caller (tasks are scoped to their owner). */
const records = <const S extends ActionParams>(name: string, write: boolean, run: TaskHandler, params: S, permission: string, upload = false) => {
  const access: Access = { action: permission };
  return restAction(
    { resource: '*', action: name, write, params, upload, access, onRefused: upload ? (p, config) => discardStagedImport(config.storagePath, p) : undefined },
    (app, caller, em, p) => run(app, caller, em, p),
  );
};
const tasks = <const S extends ActionParams>(name: string, write: boolean, run: TaskHandler, params: S) =>
  restAction({ resource: 'asyncTasks', action: name, write, params, access: 'signed-in' }, (app, caller, em, p) => run(app, caller, em, p));

/**
 * Task submission, status and files (requests role): `<collection>:export|importXlsx|importCsv|
 * downloadXlsxTemplate` (records actions: resource `*`) and `asyncTasks:list|get|stop|destroy|fetchFile|progress`.
 * Logic in shared/tasks; tasks run on `async-task:process` nodes (services/async-task.service.ts).
 */
const AsyncTaskApiService = requestsService({
  name: 'async-task-api',
  actions: {
    export: records('export', false, exportAction, exportParams, 'export'),
    importXlsx: records('importXlsx', true, importAction('xlsx'), importParams, 'create', true),
    importCsv: records('importCsv', true, importAction('csv'), importParams, 'create', true),
    downloadXlsxTemplate: records('downloadXlsxTemplate', false, templateAction, templateParams, 'create'),
    list: tasks('list', false, listTasks, listParams),
    get: tasks('get', false, getTask, taskId),
    stop: tasks('stop', true, stopTask, taskId),
    destroy: tasks('destroy', true, destroyTask, taskId),
    fetchFile: tasks('fetchFile', false, fetchFile, taskId),
    progress: tasks('progress', false, progressStream, taskId),
  },
  started() {
    // Imports are staged under STORAGE_PATH by this service: a node that cannot write there is not ready.
    const state = nodeState(this.broker);
    state.addCheck('storage', () => checkWritable(state.config.storagePath));
  },
});

export = AsyncTaskApiService;
