/**
 * Workflow executions per second of the four-node example (condition → create → calculation → update,
 * reference part B §1.3–1.7) with one and with two `workflow:process` processes, printed side by side
 * with the CPU count. Setup: a request node (`WORKER_MODE=!`) over NATS/Redis/PostgreSQL creates
 * BATCH products while no workflow node runs, so BATCH executions wait in the queue; then the workflow
 * nodes start and the figure is the resolved executions over the time from the first to the last one
 * resolved (polled in PostgreSQL every 50 ms), excluding start-up. Each side gets its own batch;
 * the sides alternate for BENCH_WORKFLOW_ROUNDS rounds (default 3) and the medians count.
 * "ours" = two processes, "reference" = one process, so the ratio is the scaling factor.
 * Needs `npm run build`, PostgreSQL (database `clusterbase_bench`), Redis and NATS.
 * Run: `npx tsx test/bench/workflow.bench.ts` (BENCH_WORKFLOW_BATCH=1000 by default; WORKFLOW_CONCURRENCY is passed to the
 * workflow nodes when set).
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { Client } from 'pg';
import { spawnNode, tempStorage, type NodeProcess } from '../support/node-process.js';
import { SERVICES } from '../support/services.js';
import type { BenchResult } from './support/bench-result.js';
import { databaseUrl, ensureBenchDatabase } from './support/clusterbase-node.js';
import { runStandalone } from './support/standalone';
import { ROOT_PASSWORD } from '../support/root';
import type { Json } from '../support/http';

export type { BenchResult } from './support/bench-result.js';

const BATCH = Number(process.env.BENCH_WORKFLOW_BATCH ?? 1000);
const ROUNDS = Number(process.env.BENCH_WORKFLOW_ROUNDS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function run(): Promise<BenchResult[]> {
  await ensureBenchDatabase();
  const schema = `bench_wf_${randomBytes(4).toString('hex')}`;
  const namespace = `bwf${randomBytes(3).toString('hex')}`;
  const env = {
    DATABASE_URL: databaseUrl(), DB_SCHEMA: schema, TRANSPORTER: SERVICES.nats.url, NAMESPACE: namespace, STORAGE_PATH: tempStorage(), INIT_ROOT_PASSWORD: ROOT_PASSWORD,
    APP_KEY: 'workflow-bench-shared-app-key-3b3ede9421a7052f8a2c0d17', APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde', REDIS_URL: SERVICES.redis.url, CACHE_DEFAULT_STORE: 'redis',
    PUBSUB_ADAPTER: 'redis', QUEUE_ADAPTER: 'redis', LOCK_ADAPTER_DEFAULT: 'redis', WORKER_ID_ADAPTER: 'redis', LOG_LEVEL: 'warn',
    WORKFLOW_QUEUEING_GRACE: '600',
    ...(process.env.WORKFLOW_CONCURRENCY ? { WORKFLOW_CONCURRENCY: process.env.WORKFLOW_CONCURRENCY } : {}),
  };
  const nodes: NodeProcess[] = [];
  const pg = new Client({ connectionString: databaseUrl() });
  await pg.connect();
  let n = 0;
  const spawn = async (mode: string) => {
    const node = await spawnNode({ env: { ...env, WORKER_MODE: mode, NODE_ID: `${namespace}-${n++}` } });
    nodes.push(node);
    await node.waitForReady();
    return node;
  };
  try {
    const requests = await spawn('!');
    let token = '';
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${requests.appPort}/api/${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { data: Json }).data;
    };
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).token;
    await call('POST', 'collections:create', { name: 'products', fields: [{ name: 'title', type: 'string' }, { name: 'price', type: 'double' }, { name: 'qty', type: 'integer' }] });
    await call('POST', 'collections:create', { name: 'audit', fields: [{ name: 'productId', type: 'bigInt' }, { name: 'note', type: 'string' }] });
    const wf = await call('POST', 'workflows:create', { title: 'bench', type: 'collection', config: { mode: 1, collection: 'products' } });
    const add = (body: Record<string, unknown>) => call('POST', `workflows/${wf.id}/nodes:create`, body);
    const cond = await add({ type: 'condition', upstreamId: null, config: { rejectOnFalse: true, calculation: { group: { type: 'and', calculations: [{ calculator: 'gte', operands: ['{{$context.data.price}}', 0] }] } } } });
    const create = await add({ type: 'create', upstreamId: cond.id, config: { collection: 'audit', params: { values: { productId: '{{$context.data.id}}', note: 'created {{$context.data.title}}' } } } });
    const calc = await add({ type: 'calculation', upstreamId: create.id, config: { engine: 'math.js', expression: '{{$context.data.price}} * {{$context.data.qty}}' } });
    await add({ type: 'update', upstreamId: calc.id, config: { collection: 'audit', params: { filter: { id: { $eq: `{{$jobsMapByNodeKey.${create.key}.id}}` } }, values: { note: `total={{$jobsMapByNodeKey.${calc.key}}}` } } } });
    await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: true });

    const resolved = async () => Number((await pg.query(`select count(*) as c from "${schema}"."executions" where "status" = 1`)).rows[0].c);
    const stillRunning = async () => Number((await pg.query(`select count(*) as c from "${schema}"."executions" where "status" is null or "status" = 0`)).rows[0].c) > 0;
    const measure = async (workers: number): Promise<number> => {
      const before = await resolved();
      let next = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < BATCH) {
          next += 1;
          await call('POST', 'products:create', { title: `b${next}`, price: 2.5, qty: 4 });
        }
      }));
      const started = await Promise.all(Array.from({ length: workers }, () => spawn('workflow:process')));
      let first: { at: number; count: number } | undefined;
      let last: { at: number; count: number };
      for (;;) {
        const done = (await resolved()) - before;
        const at = performance.now();
        if (done > 0 && !first) first = { at, count: done };
        last = { at, count: done };
        if (done >= BATCH) break;
        if (!(await stillRunning()) && (await resolved()) - before < BATCH) {
          throw new Error(`executions ended other than RESOLVED: ${JSON.stringify((await pg.query(`select "status", "output", count(*) from "${schema}"."executions" where "status" <> 1 group by 1, 2`)).rows)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await Promise.all(started.map((s) => s.stop()));
      if (!first || last.at === first.at) return NaN;
      return ((last.count - first.count) * 1000) / (last.at - first.at);
    };
    // Alternating rounds (1, 2, 2, 1, 1, 2…) and the median of each side: the machine is shared.
    const ones: number[] = [];
    const twos: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? [1, 2] : [2, 1];
      for (const workers of order) (workers === 1 ? ones : twos).push(await measure(workers));
    }
    const one = median(ones);
    const two = median(twos);
    console.log(`rounds: 1 process ${ones.map((v) => v.toFixed(0)).join(', ')}; 2 processes ${twos.map((v) => v.toFixed(0)).join(', ')}`);
    const cpuCount = cpus().length;
    console.log(`workflow executions/s (four-node example, batch ${BATCH}): 1 process ${one.toFixed(0)}, 2 processes ${two.toFixed(0)}, CPUs ${cpuCount}`);
    return [{ name: `workflow executions/s, 2 vs 1 workflow:process (${cpuCount} CPUs)`, ours: two, reference: one, unit: 'exec/s' }];
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    await pg.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await pg.end();
  }
}

if (require.main === module) runStandalone(run);
