import type { ServiceBroker } from 'moleculer';
import { appWorkflows, nodeState, processorService } from '../shared/runtime/index.js';
import type { WorkflowApp } from '../shared/workflow/index.js';

const consuming = new WeakMap<ServiceBroker, WorkflowApp>();

/**
 * Workflow processor (`workflow:process`): consumes the app's workflow queue (claim, fenced steps,
 * resume), sweeps stuck executions and fires schedules. Only nodes whose WORKER_MODE selects the key
 * load it; logic in shared/workflow.
 */
const WorkflowService = processorService('workflow:process', {
  name: 'workflow',
  async started() {
    // Sub-applications get their processors when the supervisor hosts them (issue 7); `main` here.
    const wf = await appWorkflows(nodeState(this.broker), 'main', this.logger);
    await wf.consume();
    consuming.set(this.broker, wf);
    this.logger.info(`workflow processor consuming ${wf.channel}`);
  },
  async stopped() {
    await consuming.get(this.broker)?.stopConsuming();
  },
});

export = WorkflowService;
