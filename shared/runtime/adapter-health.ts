import type { ServiceBroker } from 'moleculer';
import type { ClusterAdapters } from './cluster-adapters.js';
import type { NodeState } from './node-state.js';

const GAUGES = ['waiting', 'delayed', 'inFlight', 'deadLettered'] as const;
const METRIC: Record<(typeof GAUGES)[number], string> = {
  waiting: 'cb.queue.waiting',
  delayed: 'cb.queue.delayed',
  inFlight: 'cb.queue.in_flight',
  deadLettered: 'cb.queue.dead_lettered',
};

/** Other nodes this node can see in its cluster (over the transporter). */
export function otherNodes(broker: ServiceBroker): string[] {
  const nodes = broker.registry.getNodeList({ onlyAvailable: true, withServices: false }) as Array<{ id: string; local: boolean }>;
  return nodes.filter((n) => !n.local).map((n) => n.id);
}

/** The refusal for in-process adapters on a node that shares its cluster, or null. */
export function inProcessConflict(broker: ServiceBroker, adapters: ClusterAdapters): string | null {
  const local = adapters.inProcess();
  const others = otherNodes(broker);
  if (local.length === 0 || others.length === 0) return null;
  return (
    `${local.join(', ')} keep state inside this process, but this node shares its cluster with ${others.slice(0, 3).join(', ')}` +
    `${others.length > 3 ? ` and ${others.length - 3} more` : ''}: every node would lock, number and queue on its own; configure the Redis/RabbitMQ adapters`
  );
}

/**
 * Readiness checks and metrics of the cluster middleware: the worker-ID lease must be live (a node
 * that lost it issues no IDs), in-process adapters must not be shared with other nodes, and queue
 * depth / in-flight / dead-letter counts are exported for autoscaling.
 */
export function watchAdapters(broker: ServiceBroker, state: NodeState, adapters: ClusterAdapters): void {
  state.addCheck('worker-id', async () => {
    if (!adapters.workerIds.healthy()) throw new Error('no live worker-ID lease: this node issues no IDs');
  });
  state.addCheck('adapters', async () => {
    const conflict = inProcessConflict(broker, adapters);
    if (conflict) throw new Error(conflict);
  });

  const registry = broker.metrics;
  const gauges = GAUGES.map((field) => {
    const name = METRIC[field];
    const gauge = (registry.getMetric(name) ??
      registry.register({ name, type: 'gauge', labelNames: ['channel'], description: `Queue messages ${field} per channel` } as never)) as unknown as {
      set(value: number, labels: Record<string, string>): void;
    };
    return { field, gauge };
  });
  state.onMetrics(async () => {
    for (const [channel, stats] of await adapters.queueStats()) {
      for (const { field, gauge } of gauges) gauge.set(stats[field], { channel });
    }
  });
}
