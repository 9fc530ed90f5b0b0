import { readdirSync, readFileSync } from 'node:fs';

/**
 * autocannon's programmatic API, typed for what the benchmarks use (the package ships no types).
 * autocannon runs in the calling process: on a small machine it competes for CPU with the server it
 * measures, equally for both sides of a comparison.
 */
export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  /** Seconds. */
  readonly duration: number;
  readonly pipelining?: number;
  /** HTTP method (default GET). */
  readonly method?: string;
  /** Request body, sent as is on every request. */
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}

type Autocannon = (opts: LoadOptions & { title?: string }) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped package: typed here by the Autocannon type above
const autocannon = require('autocannon') as Autocannon;

export interface LoadFigures {
  /** Mean of autocannon's per-second samples of completed requests. */
  readonly requestsPerSecond: number;
  readonly latencyMeanMs: number;
  readonly latencyP99Ms: number;
  /** Requests completed in the run. */
  readonly total: number;
  /** CPU time the server process spent per request in the run (µs), when the run was measured with `withCpu`. */
  readonly cpuUsPerRequest?: number;
}

/** Runs one load test; throws if any request failed, timed out or answered other than 2xx (the figure would mean nothing). */
export async function load(opts: LoadOptions): Promise<LoadFigures> {
  const result = await autocannon({ pipelining: 1, ...opts });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0 || result.requests.total === 0) {
    throw new Error(
      `load on ${opts.url} failed: ${result.requests.total} completed, ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  return { requestsPerSecond: result.requests.average, latencyMeanMs: result.latency.average, latencyP99Ms: result.latency.p99, total: result.requests.total };
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces), or null once the process is gone. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * User + system CPU seconds so far (Linux /proc; clock ticks of 10 ms) of a process, or with
 * `group` of every live process of the process group `pid` leads (a launcher such as `yarn start`
 * and the server it started).
 */
export function processCpuSeconds(pid: number, group = false): number {
  const cpu = (fields: string[] | null) => (fields === null ? 0 : (Number(fields[11]) + Number(fields[12])) / 100);
  if (!group) return cpu(statFields(pid));
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields !== null && Number(fields[2]) === pid) total += cpu(fields);
  }
  return total;
}

/** A load run with the CPU time the server process (or group) `pid` spent per request during it. */
export async function withCpu(pid: number, run: () => Promise<LoadFigures>, group = false): Promise<LoadFigures> {
  const before = processCpuSeconds(pid, group);
  const figures = await run();
  return { ...figures, cpuUsPerRequest: ((processCpuSeconds(pid, group) - before) * 1e6) / figures.total };
}
