import type { BenchResult } from './bench-result';

/** Runs one benchmark file on its own (`npx tsx test/bench/x.bench.ts`): prints each figure and the ratio. */
export function runStandalone(run: () => Promise<BenchResult[]>): void {
  run()
    .then((results) => {
      for (const r of results) {
        console.log(`${r.name}: ours ${r.ours.toFixed(0)} ${r.unit}, reference ${r.reference.toFixed(0)} ${r.unit}, ratio ${(r.ratio ?? r.ours / r.reference).toFixed(2)}`);
      }
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
