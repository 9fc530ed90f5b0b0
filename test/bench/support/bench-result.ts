/** One figure of a benchmark: ours against the reference, measured in the same run. */
export interface BenchResult {
  name: string;
  ours: number;
  reference: number;
  unit: string;
}

/** What every `test/bench/*.bench.ts` exports; the runner calls it, and so does the file run directly. */
export type BenchModule = { run(): Promise<BenchResult[]> };
