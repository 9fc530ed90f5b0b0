import { MetricReporters } from 'moleculer';

type Labels = Record<string, string | number>;
interface Item {
  labels: Labels;
  value?: number;
  count?: number;
  sum?: number;
  buckets?: Record<string, number>;
}
interface Metric {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'info';
  description?: string;
  unit?: string;
  snapshot(): Item[];
}

/**
 * Metrics that identify the host rather than measure the node: user, uid/gid, home directory,
 * hostname, addresses and MACs, the command line (may carry secrets), and a per-second timestamp.
 */
const HIDDEN = ['os.user.', 'os.hostname', 'os.network.', 'process.arguments', 'os.datetime'];

const val = (v: number | null | undefined) => (v == null || Number.isNaN(v) ? 'NaN' : String(v));
const escape = (v: unknown) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * Renders Moleculer's metric registry in the Prometheus text format, served by the management port
 * (no HTTP server of its own). Unlike Moleculer's bundled reporter, histograms are valid Prometheus
 * histograms: buckets in increasing `le` order, then `_sum` and `_count`, without summary quantile
 * lines under a histogram type (which make scrapers reject the page).
 */
export class PrometheusTextReporter extends MetricReporters.Base {
  private labels: Labels = {};

  override init(registry: Parameters<InstanceType<typeof MetricReporters.Base>['init']>[0]): void {
    super.init(registry);
    this.labels = { namespace: registry.broker.namespace, nodeID: registry.broker.nodeID };
  }

  private labelStr(item: Labels, extra?: Labels): string {
    const all = { ...this.labels, ...item, ...extra };
    const keys = Object.keys(all);
    return keys.length === 0 ? '' : `{${keys.map((k) => `${k.replace(/[^a-zA-Z0-9_]/g, '_')}="${escape(all[k])}"`).join(',')}}`;
  }

  render(): string {
    const out: string[] = [];
    const store = (this as unknown as { registry: { store: Map<string, Metric> } }).registry.store;
    for (const metric of store.values()) {
      if (HIDDEN.some((prefix) => metric.name.startsWith(prefix))) continue;
      const items = metric.snapshot();
      if (items.length === 0) continue;
      const name = metric.name.replace(/[.-]/g, '_');
      const type = metric.type === 'info' ? 'gauge' : metric.type;
      out.push(`# HELP ${name} ${metric.description ?? metric.name + (metric.unit ? ` (${metric.unit})` : '')}`);
      out.push(`# TYPE ${name} ${type}`);
      for (const item of items) {
        if (metric.type === 'histogram') {
          const bounds = Object.keys(item.buckets ?? {}).sort((a, b) => Number(a) - Number(b));
          for (const le of bounds) out.push(`${name}_bucket${this.labelStr(item.labels, { le })} ${val(item.buckets![le])}`);
          out.push(`${name}_bucket${this.labelStr(item.labels, { le: '+Inf' })} ${val(item.count)}`);
          out.push(`${name}_sum${this.labelStr(item.labels)} ${val(item.sum)}`);
          out.push(`${name}_count${this.labelStr(item.labels)} ${val(item.count)}`);
        } else if (metric.type === 'info') {
          out.push(`${name}${this.labelStr(item.labels, { value: String(item.value) })} 1`);
        } else {
          out.push(`${name}${this.labelStr(item.labels)} ${val(item.value)}`);
        }
      }
    }
    return `${out.join('\n')}\n`;
  }
}
