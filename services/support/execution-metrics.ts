import type { ServiceBroker } from 'moleculer';
import type { ExecutionObserver } from '../../shared/workflow/index.js';

const STARTED = 'cb.workflow.executions.started';
const ENDED = 'cb.workflow.executions.ended';
const DURATION = 'cb.workflow.execution.duration.seconds';
const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * Per-node execution metrics in the broker's registry (rendered on /metrics with the node's labels):
 * runs started, runs ended by outcome, and the duration of each run on this node.
 */
export function executionMetrics(broker: ServiceBroker): ExecutionObserver {
  const registry = broker.metrics;
  const ensure = (name: string, type: 'counter' | 'histogram', labelNames: string[], description: string, extra: object = {}) => {
    if (!registry.getMetric(name)) registry.register({ name, type, labelNames, description, ...extra } as never);
  };
  ensure(STARTED, 'counter', ['app'], 'Workflow execution runs started on this node');
  ensure(ENDED, 'counter', ['app', 'outcome'], 'Workflow execution runs ended on this node, by outcome (a final status, parked, stopped, paused)');
  ensure(DURATION, 'histogram', ['app', 'outcome'], 'Duration of each execution run on this node', { buckets: BUCKETS });
  return {
    started: ({ app }) => registry.increment(STARTED, { app }),
    ended: ({ app, outcome, seconds }) => {
      registry.increment(ENDED, { app, outcome });
      registry.observe(DURATION, seconds, { app, outcome });
    },
  };
}
