import { requireBuild } from '../support/node-process';
import { abortRuns, runProfile, verdictLine } from './harness';
import { PROFILES } from './profiles';

/**
 * `npm run chaos -- <profile>… [--runs N]` (the npm script builds dist/ first): runs each named profile
 * (`all`: every one in turn) on a fresh cluster and prints one verdict line per run; exits 1 when any
 * run failed. `--list` prints the profiles.
 */
async function main(argv: string[]): Promise<number> {
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 1;
  const names = argv.filter((a, i) => !a.startsWith('--') && (runsAt < 0 || i !== runsAt + 1));
  if (argv.includes('--list') || names.length === 0) {
    for (const p of PROFILES) console.log(`${p.name.padEnd(18)} ${p.summary}`);
    console.log(`${'all'.padEnd(18)} every profile above, in turn`);
    return names.length === 0 && !argv.includes('--list') ? 2 : 0;
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number ≥ 1');
  const unknown = names.filter((n) => n !== 'all' && !PROFILES.some((p) => p.name === n));
  if (unknown.length) throw new Error(`unknown profile(s) ${unknown.join(', ')}; known: ${PROFILES.map((p) => p.name).join(', ')}, all`);
  const selected = names.includes('all') ? PROFILES : names.map((n) => PROFILES.find((p) => p.name === n)!);
  requireBuild();
  const lines: string[] = [];
  let failed = 0;
  for (const profile of selected) {
    for (let run = 1; run <= runs; run++) {
      const verdict = await runProfile(profile);
      const line = verdictLine(verdict) + (runs > 1 ? ` [run ${run}/${runs}]` : '');
      if (!verdict.passed) failed++;
      lines.push(line);
      console.log(line);
    }
  }
  if (lines.length > 1) console.log(`\n${lines.map((l) => l.split('\n')[0]).join('\n')}`);
  return failed > 0 ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the cluster and the middleware of the run in progress`);
    void abortRuns().finally(() => process.exit(130));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
