import type { ServiceBroker } from 'moleculer';

const DURATION = 'cb.http.request.duration.seconds';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** HTTP request histogram (seconds) by method, route (`resource:action`) and status, on /metrics. */
export class HttpMetrics {
  private readonly metric: { observe(value: number, labels: Record<string, string | number>): void } | null;

  constructor(broker: ServiceBroker) {
    const registry = broker.metrics;
    const existing = registry.getMetric(DURATION);
    this.metric = (existing ??
      registry.register({
        name: DURATION,
        type: 'histogram',
        labelNames: ['method', 'route', 'status'],
        unit: 'seconds',
        description: 'HTTP requests answered by the gateway',
        buckets: BUCKETS,
      } as never)) as unknown as HttpMetrics['metric'];
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.metric?.observe(seconds, { method, route, status });
  }
}
