import { MetricReporters } from 'moleculer';

/**
 * Moleculer's Prometheus reporter without its own HTTP server: the management port serves
 * `render()` at /metrics, beside /healthz and /readyz.
 */
export class PrometheusTextReporter extends MetricReporters.Prometheus {
  override init(registry: Parameters<InstanceType<typeof MetricReporters.Base>['init']>[0]): void {
    MetricReporters.Base.prototype.init.call(this, registry);
    const labels = { namespace: registry.broker.namespace, nodeID: registry.broker.nodeID };
    (this as unknown as { defaultLabels: object }).defaultLabels = labels;
  }

  override stop(): Promise<void> {
    return Promise.resolve();
  }

  render(): string {
    return (this as unknown as { generatePrometheusResponse(): string }).generatePrometheusResponse();
  }
}
