import type { ServiceBroker } from 'moleculer';
import { everyNodeService, forAppMode, nodeState, version } from '../shared/runtime/index.js';
import { startWorkerNode } from '../shared/supervisor/index.js';
import { appsOf } from './support/apps.js';

type Handle = Awaited<ReturnType<typeof startWorkerNode>>;

interface This {
  broker: ServiceBroker;
  handle?: Handle;
}

/**
 * APP_MODE=worker, on every node of the environment: registers it with the supervisor, heartbeats,
 * executes start/stop/destroy commands for the apps assigned to it, and refuses the others.
 */
const AppHostService = forAppMode(
  'worker',
  everyNodeService({
    name: 'app-host',
    async started(this: This) {
      const state = nodeState(this.broker);
      if (!state.config.apps.environment) return;
      const checks = { add: (name: string, check: () => Promise<void>) => state.addCheck(name, check), remove: (name: string) => state.removeCheck(name) };
      this.handle = await startWorkerNode({ apps: appsOf(this.broker), checks, log: this.broker.getLogger('app-host'), version });
    },
    async stopped(this: This) {
      await this.handle?.close();
    },
  }),
);

export = AppHostService;
