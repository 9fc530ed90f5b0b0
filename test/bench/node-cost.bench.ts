/**
 * What one node costs: cold start (spawn of `node dist/scripts/start.js` until `/readyz` answers 200)
 * and idle resident memory (VmRSS 5 s after ready) of an all-in-one node (every role) against a
 * `workflow:process` node and a requests-only node (`WORKER_MODE=!`), on the same PostgreSQL
 * (schema `bench_node_cost` of `clusterbase_bench`, migrated by the first start, so every measured start
 * finds it migrated), in-process adapters. ROUNDS starts per mode, alternating the modes each round;
 * the medians count. "ours" = all-in-one, "reference" = the smaller role (lower is cheaper here).
 * Needs `npm run build` and PostgreSQL. Run: `npm run bench -- node-cost`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spawnNode, tempStorage } from '../support/node-process.js';
import type { BenchResult } from './support/bench-result.js';
import { BENCH_DATABASE, databaseUrl, ensureBenchDatabase, withPg } from './support/clusterbase-node.js';
import { runStandalone } from './support/standalone';

/** One AES key for every node of the run: they share one schema, whose key fingerprint must match. */
const AES_KEY = randomBytes(32).toString('hex');

export type { BenchResult } from './support/bench-result.js';

const ROUNDS = 3;
const SCHEMA = 'bench_node_cost';
const MODES = [
  { mode: '', label: 'all-in-one' },
  { mode: 'workflow:process', label: 'workflow:process' },
  { mode: '!', label: 'requests only (!)' },
] as const;

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

const middle = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(mode: string): Promise<{ seconds: number; rss: number }> {
  const t0 = performance.now();
  const node = await spawnNode({
    env: {
      DATABASE_URL: databaseUrl(), DB_SCHEMA: SCHEMA, STORAGE_PATH: tempStorage(), LOG_LEVEL: 'warn', WORKER_MODE: mode,
      APP_KEY: 'bench-node-cost-app-key-2c7e90a4d1b3f568', APP_AES_SECRET_KEY: AES_KEY,
    },
  });
  try {
    await node.waitForReady();
    const seconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 5000));
    return { seconds, rss: rssMiB(node.child.pid!) };
  } finally {
    await node.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  await ensureBenchDatabase();
  await measure(''); // migrates the schema: every measured start then finds it ready
  const figures = new Map<string, Array<{ seconds: number; rss: number }>>(MODES.map((m) => [m.mode, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? MODES : [...MODES].reverse();
    for (const m of order) figures.get(m.mode)!.push(await measure(m.mode));
  }
  for (const m of MODES) {
    const xs = figures.get(m.mode)!;
    console.error(`  node-cost ${m.label}: cold start ${xs.map((x) => x.seconds.toFixed(2)).join('/')} s, idle RSS ${xs.map((x) => x.rss.toFixed(0)).join('/')} MiB`);
  }
  const start = (mode: string) => middle(figures.get(mode)!.map((x) => x.seconds));
  const rss = (mode: string) => middle(figures.get(mode)!.map((x) => x.rss));
  const results: BenchResult[] = [];
  for (const m of MODES.slice(1)) {
    results.push({ name: `node cold start to /readyz, all-in-one vs ${m.label} (median of ${ROUNDS}; lower is cheaper)`, ours: start(''), reference: start(m.mode), unit: 's' });
    results.push({ name: `node idle RSS 5 s after ready, all-in-one vs ${m.label} (median of ${ROUNDS}; lower is cheaper)`, ours: rss(''), reference: rss(m.mode), unit: 'MiB' });
  }
  await withPg(BENCH_DATABASE, (db) => db.query(`drop schema if exists "${SCHEMA}" cascade`));
  return results;
}

if (require.main === module) runStandalone(run);
