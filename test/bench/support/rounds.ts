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
export async function alternateRounds<S>(
  ours: S,
  reference: S,
  run: (side: S, seconds: number) => Promise<LoadFigures>,
  opts: { readonly rounds?: number; readonly warmupS?: number; readonly measureS?: number } = {},
): Promise<Rounds> {
  const { rounds = ROUNDS, warmupS = WARMUP_S, measureS = MEASURE_S } = opts;
  await run(ours, warmupS);
  await run(reference, warmupS);
  const a: LoadFigures[] = [];
  const b: LoadFigures[] = [];
  for (let round = 0; round < rounds; round += 1) {
    if (round % 2 === 0) {
      a.push(await run(ours, measureS));
      b.push(await run(reference, measureS));
    } else {
      b.push(await run(reference, measureS));
      a.push(await run(ours, measureS));
    }
  }
  return { ours: a, reference: b };
}

/**
 * The median of the per-round ratios ours / reference. The two runs of a round are back to back, so
 * they share the machine's load at that moment: on a shared machine this moves less from run to run
 * than the ratio of the two medians, which can pair a quiet round of one side with a busy one of the other.
 */
export function pairedRatio(figures: Rounds): number {
  return median(figures.ours.map((x, i) => x.requestsPerSecond / figures.reference[i]!.requestsPerSecond));
}

/**
 * The median of the per-round CPU efficiency ratios: reference CPU per request / ours (above 1.00x
 * means ours spends less CPU per request). What a process spends per request hardly depends on how
 * much of the machine it gets, so this holds on a loaded machine where requests per second do not.
 * NaN when the rounds were not measured with `withCpu`.
 */
export function cpuRatio(figures: Rounds): number {
  return median(figures.ours.map((x, i) => (figures.reference[i]!.cpuUsPerRequest ?? NaN) / (x.cpuUsPerRequest ?? NaN)));
}

/** One line on stderr per comparison: every round (in order) and the p99 latency, to judge the noise. */
export function describeRounds(label: string, figures: Rounds): void {
  const side = (xs: LoadFigures[]) =>
    `${xs.map((x) => Math.round(x.requestsPerSecond)).join('/')} req/s, p99 latency ${median(xs.map((x) => x.latencyP99Ms))} ms`;
  const ratios = figures.ours.map((x, i) => (x.requestsPerSecond / figures.reference[i]!.requestsPerSecond).toFixed(2)).join('/');
  const cpu = (xs: LoadFigures[]) => xs.map((x) => (x.cpuUsPerRequest ?? NaN).toFixed(0)).join('/');
  const cpuText = figures.ours[0]?.cpuUsPerRequest === undefined ? '' : `; server CPU µs/request ours ${cpu(figures.ours)}, reference ${cpu(figures.reference)}`;
  console.error(`  ${label}: ours ${side(figures.ours)}; reference ${side(figures.reference)}; per-round ratios ${ratios}${cpuText}`);
}
