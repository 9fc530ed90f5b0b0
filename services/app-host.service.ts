import { everyNodeService, forAppMode, nodeState } from '../shared/runtime/index.js';
import { startWorkerNode } from '../shared/supervisor/index.js';

type Handle = Awaited<ReturnType<typeof startWorkerNode>>;

/**
 * APP_MODE=worker, on every node of the environment: registers it with the supervisor, heartbeats,
 * executes start/stop/destroy commands for the apps assigned to it, and refuses the others.
 */
const AppHostService = forAppMode(
  'worker',
  everyNodeService({
    name: 'app-host',
    async started(this: { broker: never; handle?: Handle }) {
      if (!nodeState(this.broker).config.apps.environment) return;
      this.handle = await startWorkerNode(this.broker);
    },
    async stopped(this: { handle?: Handle }) {
      await this.handle?.close();
    },
  } as never),
);

export = AppHostService;
