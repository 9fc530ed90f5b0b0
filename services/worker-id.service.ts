import { everyNodeService, nodeState } from '../shared/runtime/index.js';

/**
 * The node's worker-ID lease (0–31, WORKER_ID_ADAPTER picks the store) and its snowflake IDs, on every
 * node. The lease is taken before services start and released after they stop; a node that cannot
 * renew it issues no IDs and turns unready.
 */
const WorkerIdService = everyNodeService({
  name: 'worker-id',
  actions: {
    current: {
      handler() {
        const { workerIds } = nodeState(this.broker).services().cluster;
        return { workerId: workerIds.current(), healthy: workerIds.healthy(), adapter: workerIds.type, leaseMs: workerIds.leaseMs };
      },
    },
    nextIds: {
      params: { count: { type: 'number', integer: true, min: 1, max: 10000, optional: true, convert: true } },
      handler(ctx) {
        const { ids } = nodeState(this.broker).services().cluster;
        const count = (ctx.params as { count?: number }).count ?? 1;
        return Array.from({ length: count }, () => ids.next());
      },
    },
  },
});

export = WorkerIdService;
