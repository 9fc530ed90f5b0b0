import type { LoadFigures } from './load';

export const WARMUP_S = 2;
export const MEASURE_S = 2;
export const ROUNDS = 5;

export interface Rounds {
  readonly ours: LoadFigures[];
  readonly reference: LoadFigures[];
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * A warm-up of each side, then ROUNDS runs per side, the order swapped every round so neither side
 * always runs on a warmer (or busier) machine. `run(side, seconds)` loads one side.
 */
export async function alternateRounds<S>(ours: S, reference: S, run: (side: S, seconds: number) => Promise<LoadFigures>): Promise<Rounds> {
  await run(ours, WARMUP_S);
  await run(reference, WARMUP_S);
  const a: LoadFigures[] = [];
  const b: LoadFigures[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    if (round % 2 === 0) {
      a.push(await run(ours, MEASURE_S));
      b.push(await run(reference, MEASURE_S));
    } else {
      b.push(await run(reference, MEASURE_S));
      a.push(await run(ours, MEASURE_S));
    }
  }
  return { ours: a, reference: b };
}

/** One line on stderr per comparison: every round (in order) and the p99 latency, to judge the noise. */
export function describeRounds(label: string, figures: Rounds): void {
  const side = (xs: LoadFigures[]) =>
    `${xs.map((x) => Math.round(x.requestsPerSecond)).join('/')} req/s, p99 latency ${median(xs.map((x) => x.latencyP99Ms))} ms`;
  console.error(`  ${label}: ours ${side(figures.ours)}; reference ${side(figures.reference)}`);
}
