/**
 * Async export and import throughput, next to PostgreSQL's own `psql \copy` of the same rows in the
 * same run, and the resident memory of the node while it exports.
 * - export: `POST /api/rows:export?async=true` (csv, then xlsx) of SEED_ROWS rows, timed from the
 *   request to the task's SUCCEEDED status (polled every 20 ms); reference `\copy (select …) to file csv`.
 * - import: `POST /api/imported:importCsv` of a SEED_ROWS-row CSV (batches of 1000 rows, each a
 *   transaction with its checkpoint), timed to SUCCEEDED; reference `\copy imported from file csv`.
 * - peak RSS during the xlsx export (sampled every 20 ms from /proc), next to the RSS just before it:
 *   a streaming export keeps the two close whatever the row count.
 * clusterbase runs from the compiled build (`node dist/scripts/start.js`, one process, every role,
 * in-process adapters, schema `bench_tasks` of database `clusterbase_bench`, recreated at the start).
 * Needs `npm run build`, PostgreSQL and `psql`. Run: `npx tsx test/bench/tasks.bench.ts`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnNode, tempStorage } from '../support/node-process.js';
import type { BenchResult } from './support/bench-result.js';
import { BENCH_DATABASE, databaseUrl, resetBenchSchema, withPg } from './support/clusterbase-node.js';
import { runStandalone } from './support/standalone';
import type { Json } from '../support/http';

export type { BenchResult } from './support/bench-result.js';

const SCHEMA = 'bench_tasks';
const SEED_ROWS = Number(process.env.BENCH_TASK_ROWS ?? 200_000);
const FIELDS = [
  { name: 'title', type: 'string' },
  { name: 'n', type: 'integer' },
  { name: 'flag', type: 'boolean' },
];

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const CSV_ROUNDS = 3;

function middle(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function psql(command: string): number {
  const t0 = performance.now();
  execFileSync('psql', [databaseUrl(), '-v', 'ON_ERROR_STOP=1', '-q', '-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - t0) / 1000;
}

export async function run(): Promise<BenchResult[]> {
  await resetBenchSchema(SCHEMA);
  const storage = tempStorage();
  const node = await spawnNode({
    env: {
      DATABASE_URL: databaseUrl(),
      DB_SCHEMA: SCHEMA,
      STORAGE_PATH: storage,
      APP_KEY: 'bench-tasks-app-key-of-length-329190e3dc9c1e8292c5cdbf',
      APP_AES_SECRET_KEY: '9edb3da5baa6ca9a092fefc0266c42ff2badcbd546b67f6715f6b707102bbce7',
      LOG_LEVEL: 'warn',
      EXPORT_INLINE_MAX_ROWS: '0',
      ASYNC_TASK_BATCH_SIZE: '1000',
      // e.g. `--max-old-space-size=96`: a streaming export must still finish under a small heap.
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
    },
  });
  try {
    await node.waitForReady();
    const base = `http://127.0.0.1:${node.appPort}/api`;
    const post = async (path: string, body: unknown, token?: string) =>
      (await (await fetch(`${base}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) })).json()) as { data: Json };
    const token = (await post('auth:signIn', { account: 'nocobase', password: 'admin123' })).data.token as string;
    await post('collections:create', { name: 'rows', fields: FIELDS }, token);
    await post('collections:create', { name: 'imported', fields: FIELDS }, token);
    await post('collections:create', { name: 'copied', fields: FIELDS }, token);
    await withPg(BENCH_DATABASE, (db) =>
      db.query(`insert into "${SCHEMA}".rows (id, title, n, flag, "createdAt", "updatedAt") select g, 'row-' || g, g, g % 2 = 0, now(), now() from generate_series(1, ${SEED_ROWS}) g`),
    );
    // Hint bits and the visibility map set before anything is timed: the first scan of freshly
    // inserted rows writes every page, and would slow whichever side reads first.
    await withPg(BENCH_DATABASE, (db) => db.query(`vacuum (freeze, analyze) "${SCHEMA}".rows`));

    const waitDone = async (id: string, onPoll?: () => void) => {
      for (;;) {
        onPoll?.();
        const task = (await (await fetch(`${base}/asyncTasks:get?filterByTk=${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: Json };
        if (task.data.status !== null && task.data.status !== 0) {
          if (task.data.status !== 1) throw new Error(`task ${id} ended with ${task.data.status}: ${JSON.stringify(task.data.result)}`);
          return task.data;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const columns = FIELDS.map((f) => ({ dataIndex: [f.name], defaultTitle: f.name }));
    const timedExport = async (format: string, onPoll?: () => void) => {
      const t0 = performance.now();
      const { data } = await post(`rows:export?async=true&format=${format}&title=bench`, { columns }, token);
      await waitDone(data.id, onPoll);
      return (performance.now() - t0) / 1000;
    };

    const pid = node.child.pid!;
    const idle = rssBytes(pid);
    let csvPeak = idle;
    // CSV export: CSV_ROUNDS rounds alternating with psql (order swapped each round); medians and the median per-round ratio.
    const ourCsv: number[] = [];
    const psqlCsv: number[] = [];
    const oursOnce = async () => ourCsv.push(await timedExport('csv', () => (csvPeak = Math.max(csvPeak, rssBytes(pid)))));
    const psqlOnce = async () => psqlCsv.push(psql(`\\copy (select title, n, flag from "${SCHEMA}".rows order by id) to '${join(storage, 'copy-out.csv')}' with csv header`));
    for (let round = 0; round < CSV_ROUNDS; round++) {
      for (const once of round % 2 === 0 ? [oursOnce, psqlOnce] : [psqlOnce, oursOnce]) await once();
    }
    const csvSeconds = middle(ourCsv);
    const copyOutSeconds = middle(psqlCsv);
    const csvRatio = middle(ourCsv.map((s, i) => psqlCsv[i]! / s));
    console.error(`  tasks csv export rounds: ours ${ourCsv.map((s) => s.toFixed(2)).join('/')} s, psql ${psqlCsv.map((s) => s.toFixed(2)).join('/')} s`);

    const before = rssBytes(pid);
    let peak = before;
    const xlsxSeconds = await timedExport('xlsx', () => (peak = Math.max(peak, rssBytes(pid))));

    const lines = ['title,n,flag'];
    for (let i = 1; i <= SEED_ROWS; i++) lines.push(`imp-${i},${i},${i % 2 === 0}`);
    const csvFile = join(storage, 'import.csv');
    writeFileSync(csvFile, lines.join('\n'));
    const form = new FormData();
    form.append('file', new Blob([readFileSync(csvFile)]), 'import.csv');
    form.append('columns', JSON.stringify(columns));
    const t0 = performance.now();
    const uploaded = (await (await fetch(`${base}/imported:importCsv`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).json()) as { data: Json };
    const imported = await waitDone(uploaded.data.id);
    const importSeconds = (performance.now() - t0) / 1000;
    if (imported.result.inserted !== SEED_ROWS) throw new Error(`import inserted ${imported.result.inserted} of ${SEED_ROWS}`);
    const withIds = ['id,title,n,flag,createdAt,updatedAt'];
    for (let i = 1; i <= SEED_ROWS; i++) withIds.push(`${i},imp-${i},${i},${i % 2 === 0},2026-11-23T00:00:00Z,2026-11-23T00:00:00Z`);
    writeFileSync(join(storage, 'copy-in.csv'), withIds.join('\n'));
    const copyInSeconds = psql(`\\copy "${SCHEMA}".copied (id, title, n, flag, "createdAt", "updatedAt") from '${join(storage, 'copy-in.csv')}' with csv header`);

    return [
      { name: `export csv ${SEED_ROWS} rows (vs psql \\copy to; median of ${CSV_ROUNDS} alternating rounds, ratio = median per-round ratio)`, ours: SEED_ROWS / csvSeconds, reference: SEED_ROWS / copyOutSeconds, unit: 'rows/s', ratio: csvRatio },
      { name: `export xlsx ${SEED_ROWS} rows (vs psql \\copy to)`, ours: SEED_ROWS / xlsxSeconds, reference: SEED_ROWS / copyOutSeconds, unit: 'rows/s' },
      { name: `import csv ${SEED_ROWS} rows (vs psql \\copy from)`, ours: SEED_ROWS / importSeconds, reference: SEED_ROWS / copyInSeconds, unit: 'rows/s' },
      { name: `node RSS: peak during csv export of ${SEED_ROWS} rows (vs idle before)`, ours: csvPeak / 2 ** 20, reference: idle / 2 ** 20, unit: 'MiB' },
      { name: `node RSS: peak during xlsx export of ${SEED_ROWS} rows (vs just before)`, ours: peak / 2 ** 20, reference: before / 2 ** 20, unit: 'MiB' },
    ];
  } finally {
    await node.stop();
    await withPg(BENCH_DATABASE, (db) => db.query(`drop schema if exists "${SCHEMA}" cascade`)).catch(() => undefined);
  }
}

if (require.main === module) runStandalone(run);
