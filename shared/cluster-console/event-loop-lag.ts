import { monitorEventLoopDelay } from 'node:perf_hooks';

let histogram: ReturnType<typeof monitorEventLoopDelay> | null = null;

/**
 * The event loop's delay in ms (99th percentile since the last call; the first call starts the
 * monitor and answers 0). One monitor per process.
 */
export function eventLoopLagMs(): number {
  if (!histogram) {
    histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    return 0;
  }
  const p99 = histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0;
  histogram.reset();
  return Math.round(p99 * 10) / 10;
}
