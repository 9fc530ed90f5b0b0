import { restAction } from '../shared/gateway/index.js';
import { nodeState, requestsService, type DataCtx as Ctx, type DataLog as Log } from '../shared/runtime/index.js';
import { checkWritable, exportAction, fetchFile, getTask, importAction, listTasks, progressStream, stopTask, templateAction } from '../shared/tasks/index.js';

const action = (resource: string, name: string, write: boolean, run: (ctx: Ctx, log: Log) => Promise<unknown>, upload = false) =>
  restAction({ resource, action: name, write, ...(upload ? { upload: true } : {}) }, {
    async handler(this: { logger: Log }, ctx: Ctx) {
      return run(ctx, this.logger);
    },
  });

/**
 * Task submission, status and files (requests role): `<collection>:export|importXlsx|importCsv|
 * downloadXlsxTemplate` (records actions: resource `*`) and `asyncTasks:list|get|stop|fetchFile|progress`.
 * Logic in shared/tasks; tasks run on `async-task:process` nodes (services/async-task.service.ts).
 */
const AsyncTaskApiService = requestsService({
  name: 'async-task-api',
  actions: {
    export: action('*', 'export', false, exportAction),
    importXlsx: action('*', 'importXlsx', true, (ctx, log) => importAction(ctx, log, 'xlsx'), true),
    importCsv: action('*', 'importCsv', true, (ctx, log) => importAction(ctx, log, 'csv'), true),
    downloadXlsxTemplate: action('*', 'downloadXlsxTemplate', false, templateAction),
    list: action('asyncTasks', 'list', false, listTasks),
    get: action('asyncTasks', 'get', false, getTask),
    stop: action('asyncTasks', 'stop', true, stopTask),
    fetchFile: action('asyncTasks', 'fetchFile', false, fetchFile),
    progress: action('asyncTasks', 'progress', false, progressStream),
  },
  started() {
    // Imports are staged under STORAGE_PATH by this service: a node that cannot write there is not ready.
    const state = nodeState(this.broker);
    state.addCheck('storage', () => checkWritable(state.config.storagePath));
  },
});

export = AsyncTaskApiService;
