import type { ActionParams } from 'moleculer';
import { restAction } from '../shared/gateway/index.js';
import { nodeState, requestsService, type DataCtx as Ctx, type DataLog as Log } from '../shared/runtime/index.js';
import { checkWritable, exportAction, fetchFile, getTask, importAction, listTasks, progressStream, stopTask, templateAction } from '../shared/tasks/index.js';

const action = (resource: string, name: string, write: boolean, run: (ctx: Ctx, log: Log) => Promise<unknown>, params: ActionParams, upload = false) =>
  restAction({ resource, action: name, write, ...(upload ? { upload: true } : {}) }, {
    params,
    async handler(this: { logger: Log }, ctx: Ctx) {
      return run(ctx, this.logger);
    },
  });

// Parameter schemas (fastest-validator; also the OpenAPI document). Lenient where NocoBase's client
// sends JSON text or strings (columns, filter, flags); shared/tasks checks them and names the problem.
const taskId: ActionParams = { filterByTk: { type: 'string', optional: true } };
const exportParams: ActionParams = {
  format: { type: 'enum', values: ['xlsx', 'csv'], optional: true },
  title: { type: 'string', optional: true, max: 248 },
  async: 'any|optional',
  filter: 'any|optional',
  sort: 'any|optional',
  columns: 'any|optional',
  values: { type: 'object', optional: true, props: { columns: 'any|optional', title: 'any|optional', format: 'any|optional', filter: 'any|optional', sort: 'any|optional' } },
};
const importParams: ActionParams = {
  values: {
    type: 'object',
    optional: true,
    // Not enums or strings: a refused request must reach the action, which removes the staged file.
    props: { columns: 'any|optional', mode: 'any|optional', uniqueField: 'any|optional', allOrNothing: 'any|optional', triggerWorkflows: 'any|optional' },
  },
};
const templateParams: ActionParams = { values: { type: 'object', optional: true, props: { columns: 'any|optional', explain: 'string|optional' } }, columns: 'any|optional', explain: 'string|optional' };
const listParams: ActionParams = { page: { type: 'number', integer: true, min: 1, optional: true, convert: true }, pageSize: { type: 'number', integer: true, min: 1, max: 1000, optional: true, convert: true } };

/**
 * Task submission, status and files (requests role): `<collection>:export|importXlsx|importCsv|
 * downloadXlsxTemplate` (records actions: resource `*`) and `asyncTasks:list|get|stop|fetchFile|progress`.
 * Logic in shared/tasks; tasks run on `async-task:process` nodes (services/async-task.service.ts).
 */
const AsyncTaskApiService = requestsService({
  name: 'async-task-api',
  actions: {
    export: action('*', 'export', false, exportAction, exportParams),
    importXlsx: action('*', 'importXlsx', true, (ctx, log) => importAction(ctx, log, 'xlsx'), importParams, true),
    importCsv: action('*', 'importCsv', true, (ctx, log) => importAction(ctx, log, 'csv'), importParams, true),
    downloadXlsxTemplate: action('*', 'downloadXlsxTemplate', false, templateAction, templateParams),
    list: action('asyncTasks', 'list', false, listTasks, listParams),
    get: action('asyncTasks', 'get', false, getTask, taskId),
    stop: action('asyncTasks', 'stop', true, stopTask, taskId),
    fetchFile: action('asyncTasks', 'fetchFile', false, fetchFile, taskId),
    progress: action('asyncTasks', 'progress', false, progressStream, taskId),
  },
  started() {
    // Imports are staged under STORAGE_PATH by this service: a node that cannot write there is not ready.
    const state = nodeState(this.broker);
    state.addCheck('storage', () => checkWritable(state.config.storagePath));
  },
});

export = AsyncTaskApiService;
