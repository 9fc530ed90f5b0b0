import type { ServiceBroker } from 'moleculer';
import { nodeState, readiness } from '../../shared/runtime/index.js';

type Gauge = { set(value: number, labels?: Record<string, string>): void };

function gauge(broker: ServiceBroker, name: string, description: string, labelNames: string[] = []): Gauge {
  const registry = broker.metrics;
  return (registry.getMetric(name) ?? registry.register({ name, type: 'gauge', labelNames, description } as never)) as unknown as Gauge;
}

/**
 * Gauges of the node's state for dashboards and alerts, refreshed at each scrape of /metrics:
 * readiness (1/0), drained (1/0), the worker-ID lease (healthy 1/0, its ID and age).
 */
export function registerNodeGauges(broker: ServiceBroker): void {
  const state = nodeState(broker);
  const ready = gauge(broker, 'cb.node.ready', '1 while /readyz answers 200');
  const drained = gauge(broker, 'cb.node.drained', '1 while the node is drained (cluster:drain)');
  const healthy = gauge(broker, 'cb.worker_id.healthy', '1 while the node holds a live worker-ID lease');
  const workerId = gauge(broker, 'cb.worker_id.id', 'The leased worker ID (0-31), -1 without one');
  const age = gauge(broker, 'cb.worker_id.lease_age_seconds', 'Seconds since the current worker-ID lease was taken');
  state.onMetrics(async () => {
    const report = await readiness(broker, state);
    ready.set(report.ready ? 1 : 0);
    if (!state.started) return;
    const { cluster } = state.services();
    drained.set(cluster.work.drained ? 1 : 0);
    healthy.set(cluster.workerIds.healthy() ? 1 : 0);
    workerId.set(cluster.workerIds.current() ?? -1);
    age.set(cluster.leasedAt ? (Date.now() - cluster.leasedAt) / 1000 : 0);
  });
}

/** `cb_workflow_oldest_queued_seconds{app}`: how long the oldest QUEUEING execution of each consumed app has waited. */
export function registerBacklogAge(broker: ServiceBroker, apps: () => Iterable<{ app: string; oldestQueuedSeconds(): Promise<number> }>): void {
  const age = gauge(broker, 'cb.workflow.oldest_queued_seconds', 'Seconds the oldest queued (not yet started) execution has waited', ['app']);
  nodeState(broker).onMetrics(async () => {
    await Promise.all([...apps()].map(async (a) => age.set(await a.oldestQueuedSeconds(), { app: a.app })));
  });
}
