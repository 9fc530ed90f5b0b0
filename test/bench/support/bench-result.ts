/** One figure of a benchmark: ours against the reference, measured in the same run. */
export interface BenchResult {
  name: string;
  ours: number;
  reference: number;
  unit: string;
  /** The ratio to print when it is not ours / reference (e.g. the median of per-round ratios). */
  ratio?: number;
}

/** What every `test/bench/*.bench.ts` exports; the runner calls it, and so does the file run directly. */
export type BenchModule = { run(): Promise<BenchResult[]> };

/**
 * Thrown by a benchmark that cannot run here for a reason outside clusterbase (e.g. the npm registry
 * is unreachable, so NocoBase cannot be installed): the runner prints SKIPPED with the message, and it
 * does not count as a crash.
 */
export class BenchSkipped extends Error {
  override readonly name = 'BenchSkipped';
}
