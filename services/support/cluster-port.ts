import { hostname } from 'node:os';
import type { ServiceBroker } from 'moleculer';
import type { ClusterPort, LocalNode, PartName } from '../../shared/cluster-console/index.js';
import { nodeState, readiness, version } from '../../shared/runtime/index.js';
import { REQUESTS } from '../../shared/worker-mode/index.js';

/** How long the console waits for each node (a node silent this long is listed as unreachable). */
export const NODE_TIMEOUT_MS = 2000;

interface ActiveItem {
  readonly labels: { readonly action?: string };
  readonly value?: number;
}

/** The node the console runs on, read from its broker and node state. */
export function localNode(broker: ServiceBroker): LocalNode {
  const state = nodeState(broker);
  const log = broker.getLogger('cluster');
  const keys = state.config.workerMode;
  return {
    nodeId: broker.nodeID,
    host: hostname(),
    version,
    workerMode: keys.raw,
    serves: [...(state.serving(REQUESTS) ? [REQUESTS] : []), ...new Set(broker.services.flatMap((s) => processorKey(s.schema.metadata)))],
    services: () => broker.services.map((s) => s.fullName).filter((n) => !n.startsWith('$')),
    readiness: () => readiness(broker, state),
    cluster: () => state.services().cluster,
    activeRequests: () => {
      const items = (broker.metrics.getMetric('moleculer.request.active')?.snapshot() ?? []) as unknown as ActiveItem[];
      return items.filter((i) => !i.labels.action?.startsWith('cluster.')).reduce((sum, i) => sum + (i.value ?? 0), 0);
    },
    log: { info: (m) => log.info(m), error: (m) => log.error(m) },
  };
}

function processorKey(metadata: unknown): string[] {
  const role = (metadata as { role?: { kind?: string; key?: string } } | undefined)?.role;
  return role?.kind === 'processor' && role.key ? [role.key] : [];
}

/** The other nodes, reached over the transporter with the `cluster.part` action. */
export function clusterPort(broker: ServiceBroker): ClusterPort {
  return {
    local: localNode(broker),
    nodeIds: () => (broker.registry.getNodeList({ onlyAvailable: false, withServices: false }) as Array<{ id: string }>).map((n) => n.id),
    ask: (nodeID: string, part: PartName) => broker.call('cluster.part', { part }, { nodeID, timeout: NODE_TIMEOUT_MS, retries: 0 }),
    timeoutMs: NODE_TIMEOUT_MS,
  };
}
