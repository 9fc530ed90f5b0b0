import type { ServiceBroker } from 'moleculer';
import { processorService } from '../shared/runtime/index.js';
import type { WorkflowApp } from '../shared/workflow/index.js';
import { appsOf } from './support/apps.js';
import { executionMetrics } from './support/execution-metrics.js';
import { registerBacklogAge } from './support/node-gauges.js';

const consuming = new WeakMap<ServiceBroker, Map<string, WorkflowApp>>();

/**
 * Workflow processor (`workflow:process`): consumes the app's workflow queue (claim, fenced steps,
 * resume), sweeps stuck executions and fires schedules. Only nodes whose WORKER_MODE selects the key
 * load it; logic in shared/workflow.
 */
const WorkflowService = processorService('workflow:process', {
  name: 'workflow',
  async started() {
    const apps = appsOf(this.broker);
    const byApp = new Map<string, WorkflowApp>();
    consuming.set(this.broker, byApp);
    const metrics = executionMetrics(this.broker);
    registerBacklogAge(this.broker, () => byApp.values());
    const serve = async (app: string) => {
      const wf = (await apps.get(app)).workflows;
      await wf.consume(metrics);
      byApp.set(app, wf);
      this.logger.info(`workflow processor consuming ${wf.channel}`);
    };
    await serve('main');
    // Sub-applications hosted on this node's environment (supervisor, issue 7), as they start and stop.
    apps.onApps({
      started: serve,
      stopped: async (app) => {
        const wf = byApp.get(app);
        byApp.delete(app);
        await wf?.stopConsuming();
      },
      onError: (err, app) => this.logger.error(`workflow processor for app ${app} failed`, err),
    });
  },
  async stopped() {
    await Promise.all([...(consuming.get(this.broker)?.values() ?? [])].map((wf) => wf.stopConsuming()));
  },
});

export = WorkflowService;
