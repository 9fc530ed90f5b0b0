import { processorService } from '../shared/runtime/index.js';

/**
 * Async task processor (`async-task:process`): runs queued import/export tasks. Only nodes whose
 * WORKER_MODE selects the key load it. Its queue consumer arrives with import/export.
 */
const AsyncTaskService = processorService('async-task:process', {
  name: 'async-task',
});

export = AsyncTaskService;
