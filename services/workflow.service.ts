import type { ServiceBroker } from 'moleculer';
import { appWorkflows, nodeState, processorService } from '../shared/runtime/index.js';
import type { WorkflowApp } from '../shared/workflow/index.js';

const consuming = new WeakMap<ServiceBroker, WorkflowApp[]>();

/**
 * Workflow processor (`workflow:process`): consumes the app's workflow queue (claim, fenced steps,
 * resume), sweeps stuck executions and fires schedules. Only nodes whose WORKER_MODE selects the key
 * load it; logic in shared/workflow.
 */
const WorkflowService = processorService('workflow:process', {
  name: 'workflow',
  async started() {
    const state = nodeState(this.broker);
    const serve = async (app: string) => {
      const wf = await appWorkflows(state, app, this.logger);
      await wf.consume();
      consuming.set(this.broker, [...(consuming.get(this.broker) ?? []), wf]);
      this.logger.info(`workflow processor consuming ${wf.channel}`);
    };
    await serve('main');
    // Sub-applications hosted on this node's environment (supervisor, issue 7), as they start and stop.
    state.onHostedApps({
      started: serve,
      stopped: async (app) => {
        const all = consuming.get(this.broker) ?? [];
        const wf = all.find((w) => w.o.app === app);
        consuming.set(this.broker, all.filter((w) => w !== wf));
        await wf?.stopConsuming();
      },
      onError: (err, app) => this.logger.error(`workflow processor for app ${app} failed`, err),
    });
  },
  async stopped() {
    await Promise.all((consuming.get(this.broker) ?? []).map((wf) => wf.stopConsuming()));
  },
});

export = WorkflowService;
