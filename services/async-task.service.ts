import { nodeState, processorService } from '../shared/runtime/index.js';
import { appsOf } from './support/apps.js';
import { checkWritable, STOP_EVENT, TaskProcessor } from '../shared/tasks/index.js';

interface Vars {
  processor: TaskProcessor | null;
}

/**
 * Async task processor (`async-task:process`): runs queued import/export tasks, at most
 * ASYNC_TASK_MAX_CONCURRENCY at once, takes over tasks orphaned by a dead node, removes expired files.
 * Only nodes whose WORKER_MODE selects the key load it. Logic in shared/tasks.
 */
const AsyncTaskService = processorService<Record<string, never>, Record<string, never>, Vars>('async-task:process', {
  name: 'async-task',

  events: {
    [STOP_EVENT](ctx: { params: { taskId?: string } }) {
      if (typeof ctx.params?.taskId === 'string') this.processor?.stopLocal(ctx.params.taskId);
    },
  },

  created() {
    this.processor = null;
  },

  async started() {
    const state = nodeState(this.broker);
    const { cluster, secrets } = state.services();
    const apps = appsOf(this.broker);
    state.addCheck('storage', () => checkWritable(state.config.storagePath));
    this.processor = new TaskProcessor({
      nodeId: state.config.nodeId,
      config: state.config.tasks,
      storagePath: state.config.storagePath,
      queue: cluster.queue,
      sync: cluster.sync,
      schemaOf: (app) => apps.schemaOf(app),
      fork: (schema) => apps.databaseOfSchema(schema).fork(schema),
      appData: async (app) => (await apps.get(app)).data,
      aesKey: secrets.aesKey,
      log: this.logger,
    });
    await this.processor.start(['main']);
    // Sub-applications hosted on this node's environment (supervisor, issue 7) add their channels.
    const processor = this.processor;
    apps.onApps({
      started: (app) => processor.serveApp(app),
      stopped: (app) => processor.forgetApp(app), // its queued tasks wait on its channel until it runs again here or elsewhere
      onError: (err, app) => this.logger.error(`task processor for app ${app} failed`, err),
    });
  },

  async stopped() {
    await this.processor?.stop();
  },
});

export = AsyncTaskService;
