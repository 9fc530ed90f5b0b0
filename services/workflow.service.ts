import { processorService } from '../shared/runtime/index.js';

/**
 * Workflow processor (`workflow:process`): runs queued workflow executions and fires schedules. Only
 * nodes whose WORKER_MODE selects the key load it. Its queue consumer arrives with the workflow engine.
 */
const WorkflowService = processorService('workflow:process', {
  name: 'workflow',
});

export = WorkflowService;
