const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const NAME = 'cb_http_request_duration_seconds';

interface Series {
  readonly labels: string;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/**
 * HTTP request histogram (seconds) by method, route (`resource:action`) and status, rendered in the
 * Prometheus text format. Kept by hand rather than in Moleculer's metric registry: observing is on
 * every request's path, and a Map lookup plus a bucket scan costs a fraction of a registry histogram.
 */
export class HttpMetrics {
  private readonly series = new Map<string, Series>();

  constructor(private readonly constLabels: Record<string, string> = {}) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let s = this.series.get(key);
    if (!s) {
      const labels = { ...this.constLabels, method, route, status: String(status) };
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}="${escape(v)}"`)
        .join(',');
      s = { labels: text, counts: new Float64Array(BUCKETS.length), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        s.counts[i]!++;
        break;
      }
    }
    s.sum += seconds;
    s.count++;
  }

  render(): string {
    if (this.series.size === 0) return '';
    const out = [`# HELP ${NAME} HTTP requests answered by the gateway`, `# TYPE ${NAME} histogram`];
    for (const s of this.series.values()) {
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += s.counts[i]!;
        out.push(`${NAME}_bucket{${s.labels},le="${le}"} ${cumulative}`);
      });
      out.push(`${NAME}_bucket{${s.labels},le="+Inf"} ${s.count}`);
      out.push(`${NAME}_sum{${s.labels}} ${s.sum}`);
      out.push(`${NAME}_count{${s.labels}} ${s.count}`);
    }
    return `${out.join('\n')}\n`;
  }
}
