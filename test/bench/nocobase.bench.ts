/**
 * clusterbase side by side with NocoBase 2.2.15 itself, in the same run, on the same PostgreSQL server:
 * NocoBase's production build (installed once into a cache folder outside the repository, see
 * support/nocobase-anchor.ts; skipped with a message when it is missing and the registry cannot be
 * reached) against one all-in-one clusterbase node from `dist/` (`node dist/scripts/start.js`, every
 * role in one process, in-process adapters, schema `bench_nocobase` of `clusterbase_bench`, dropped at
 * the start). Both get the same collections and rows through their API (support/side.ts: 5
 * categories, ROWS products with a belongsTo category, `orders`, `audit`) and the root user's bearer
 * token on every request. Then, autocannon at 10 connections (warm-up, then alternating rounds, the
 * median counts, as in the other benchmarks):
 * - `GET /api/__health_check`;
 * - `GET /api/products:list?pageSize=20&sort=-qty` (20 rows and the count);
 * - the same with `appends[]=category` and a filter (`qty >= 10` and `active`);
 * - `POST /api/products:create` of one row (no workflow on `products`);
 * and the workflow scenario: WF_CREATES `orders:create` calls, WF_CONCURRENCY at a time, each
 * triggering the four-node workflow (condition → create → calculation → update), timed from the first
 * request until every execution has ended (polled in PostgreSQL every 50 ms), WF_ROUNDS rounds per
 * side alternating. Before loading, both must answer the same rows (qty order, count, appended
 * category). "ours" = clusterbase, "reference" = NocoBase; for the workflow the figure is
 * executions per second, so above 1.00x means clusterbase is faster.
 * Needs `npm run build`, PostgreSQL, the npm registry on the first run. Not part of `npm test`.
 * Run: `npm run bench -- nocobase` (BENCH_NOCOBASE_WF_ROUNDS, BENCH_NOCOBASE_WF_CREATES override).
 */
import { Client } from 'pg';
import type { BenchResult } from './support/bench-result.js';
import type { ChildServer } from './support/child-server.js';
import { BENCH_DATABASE, databaseUrl, HOST, resetBenchSchema, startClusterbase } from './support/clusterbase-node.js';
import { load, processCpuSeconds, withCpu, type LoadFigures } from './support/load.js';
import { ensureNocobase, NOCOBASE_DATABASE, NOCOBASE_ROOT, NOCOBASE_VERSION, startNocobase } from './support/nocobase-anchor.js';
import { freePort } from './support/ports.js';
import { alternateRounds, cpuRatio, describeRounds, median, pairedRatio, type Rounds } from './support/rounds.js';
import { call, createCollections, createWorkflow, inParallel, signIn, type ApiSide } from './support/side.js';
import { runStandalone } from './support/standalone';

export type { BenchResult } from './support/bench-result.js';

const DB_SCHEMA = 'bench_nocobase';
const CONNECTIONS = 10;
const ROWS = 200;
const WF_CREATES = Number(process.env.BENCH_NOCOBASE_WF_CREATES ?? 1000);
const WF_CONCURRENCY = 20;
const WF_ROUNDS = Number(process.env.BENCH_NOCOBASE_WF_ROUNDS ?? 3);
const HEALTH_PATH = '/api/__health_check';
const LIST_PATH = '/api/products:list?pageSize=20&sort=-qty';
const FILTER = { $and: [{ qty: { $gte: 10 } }, { active: { $eq: true } }] };
const APPENDS_PATH = `/api/products:list?pageSize=20&sort=-qty&appends%5B%5D=category&filter=${encodeURIComponent(JSON.stringify(FILTER))}`;
const CREATE_PATH = '/api/products:create';
const CREATE_BODY = JSON.stringify({ title: 'bench item', price: 9.99, qty: 3, active: true });
const NOCOBASE_HEADERS = { 'x-authenticator': 'basic' };
/** Rounds of 4 s (3 s warm-up): NocoBase answers a few requests per second on a loaded 2-core machine. */
const HTTP_ROUNDS = 5;
const HTTP_WARMUP_S = 3;
const HTTP_MEASURE_S = 4;

interface Measured extends ApiSide {
  /** Executions of the bench workflow that have ended (status set and not STARTED), and how many resolved. */
  executions(): Promise<{ ended: number; resolved: number }>;
  workflowId?: unknown;
  signInAgain(): Promise<void>;
  /** The server's process; NocoBase's is a process group (yarn start and the server it starts). */
  readonly server: ChildServer;
  readonly group: boolean;
}

interface WorkflowRound {
  readonly seconds: number;
  /** CPU seconds the server spent in the round (PostgreSQL's not counted, on either side). */
  readonly cpuSeconds: number;
}

/** Removes what an earlier run left in NocoBase's database (its collections drop their tables). */
async function cleanNocobase(side: ApiSide): Promise<void> {
  const workflows = (await call(side, 'GET', `workflows:list?paginate=false&filter=${encodeURIComponent(JSON.stringify({ title: 'bench' }))}`)).data as Array<{ id: unknown }>;
  for (const wf of workflows) await call(side, 'POST', `workflows:destroy?filterByTk=${wf.id}`);
  for (const name of ['audit', 'orders', 'products', 'categories']) {
    const found = (await call(side, 'GET', `collections:list?paginate=false&filter=${encodeURIComponent(JSON.stringify({ name }))}`)).data as unknown[];
    if (found.length > 0) await call(side, 'POST', `collections:destroy?filterByTk=${name}`);
  }
}

/** Counts the side's bench workflow executions in its database; `close()` ends the connection. */
async function watchExecutions(side: Measured, database: string, table: string): Promise<() => Promise<void>> {
  const pg = new Client({ connectionString: databaseUrl(database) });
  await pg.connect();
  side.executions = async () => {
    const { rows } = await pg.query(
      `select count(*) filter (where "status" is not null and "status" <> 0) as ended, count(*) filter (where "status" = 1) as resolved from ${table} where "workflowId" = $1`,
      [side.workflowId],
    );
    return { ended: Number(rows[0].ended), resolved: Number(rows[0].resolved) };
  };
  return () => pg.end();
}

/** The rows both answer must match (qty order, count, appended category), or the comparison is not like for like. */
async function checkSameAnswers(ours: ApiSide, reference: ApiSide): Promise<void> {
  const summary = async (side: ApiSide, path: string) => {
    const body = (await call(side, 'GET', path.replace(/^\/api\//, ''))) as { data: Array<{ qty?: unknown; category?: { name?: unknown } | null }>; meta?: { count?: number } };
    return JSON.stringify({
      qty: body.data.map((r) => r.qty),
      count: body.meta?.count,
      categories: body.data.map((r) => (r.category === undefined ? 'missing' : typeof r.category?.name)),
    });
  };
  for (const path of [LIST_PATH, APPENDS_PATH]) {
    const [a, b] = [await summary(ours, path), await summary(reference, path)];
    if (a !== b) throw new Error(`GET ${path} differs: clusterbase ${a} / NocoBase ${b}`);
  }
  const listed = JSON.parse(await summary(ours, LIST_PATH)) as { qty: unknown[]; count: number };
  if (listed.qty.length !== 20 || listed.count !== ROWS) throw new Error(`GET ${LIST_PATH}: expected 20 rows of ${ROWS}, got ${listed.qty.length} of ${listed.count}`);
  const appended = JSON.parse(await summary(ours, APPENDS_PATH)) as { categories: string[] };
  if (appended.categories.some((c) => c !== 'string')) throw new Error(`GET ${APPENDS_PATH}: rows without their category: ${appended.categories.join()}`);
}

function compare(path: string, ours: Measured, reference: Measured, post?: string): Promise<Rounds> {
  return alternateRounds(ours, reference, (side, duration) =>
    withCpu(side.server.pid, () => load({
      url: side.base + path,
      connections: CONNECTIONS,
      duration,
      headers: { ...side.headers, ...(post === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(post === undefined ? {} : { method: 'POST', body: post }),
    }), side.group),
    { rounds: HTTP_ROUNDS, warmupS: HTTP_WARMUP_S, measureS: HTTP_MEASURE_S },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One round of the workflow scenario on one side: seconds from the first create until every execution has ended. */
async function workflowRound(side: Measured, round: number): Promise<WorkflowRound> {
  const before = await side.executions();
  const cpu0 = processCpuSeconds(side.server.pid, side.group);
  const t0 = performance.now();
  await inParallel(WF_CREATES, WF_CONCURRENCY, (i) => call(side, 'POST', 'orders:create', { title: `r${round}-${i}`, price: 2.5, qty: 4 }));
  let last = { count: 0, at: performance.now() };
  for (;;) {
    const now = await side.executions();
    const ended = now.ended - before.ended;
    if (ended >= WF_CREATES) {
      const seconds = (performance.now() - t0) / 1000;
      const cpuSeconds = processCpuSeconds(side.server.pid, side.group) - cpu0;
      if (now.resolved - before.resolved < WF_CREATES) {
        throw new Error(`${side.label}: ${WF_CREATES - (now.resolved - before.resolved)} executions ended other than RESOLVED`);
      }
      return { seconds, cpuSeconds };
    }
    if (ended !== last.count) last = { count: ended, at: performance.now() };
    else if (performance.now() - last.at > 180_000) throw new Error(`${side.label}: executions stuck at ${ended} of ${WF_CREATES} for 3 minutes`);
    await sleep(50);
  }
}

async function workflowScenario(ours: Measured, reference: Measured): Promise<{ ours: WorkflowRound[]; reference: WorkflowRound[] }> {
  const a: WorkflowRound[] = [];
  const b: WorkflowRound[] = [];
  for (let round = 0; round < WF_ROUNDS; round += 1) {
    const order: Array<[Measured, WorkflowRound[]]> = round % 2 === 0 ? [[ours, a], [reference, b]] : [[reference, b], [ours, a]];
    for (const [side, into] of order) {
      await side.signInAgain();
      into.push(await workflowRound(side, round));
    }
  }
  const text = (xs: WorkflowRound[]) => `${xs.map((x) => x.seconds.toFixed(1)).join('/')} s (server CPU ${xs.map((x) => x.cpuSeconds.toFixed(1)).join('/')} s)`;
  console.error(`  nocobase workflow ${WF_CREATES} creates x${WF_CONCURRENCY}: clusterbase ${text(a)}; NocoBase ${text(b)}`);
  return { ours: a, reference: b };
}

export async function run(): Promise<BenchResult[]> {
  await ensureNocobase();
  const servers: ChildServer[] = [];
  const closers: Array<() => Promise<void>> = [];
  try {
    await resetBenchSchema(DB_SCHEMA);
    const nbPort = await freePort();
    const [nb, cb] = await Promise.all([startNocobase(nbPort), startClusterbase({ schema: DB_SCHEMA, name: 'clusterbase all-in-one (node dist/scripts/start.js)' })]);
    servers.push(nb, cb.server);

    const oursSide: Measured = {
      label: 'clusterbase',
      base: cb.base,
      headers: {},
      executions: () => Promise.resolve({ ended: 0, resolved: 0 }),
      signInAgain: () => signIn(oursSide, 'nocobase', 'admin123'),
      server: cb.server,
      group: false,
    };
    const refSide: Measured = {
      label: `NocoBase ${NOCOBASE_VERSION}`,
      base: `http://${HOST}:${nbPort}`,
      headers: {},
      executions: () => Promise.resolve({ ended: 0, resolved: 0 }),
      signInAgain: () => signIn(refSide, NOCOBASE_ROOT.account, NOCOBASE_ROOT.password, NOCOBASE_HEADERS),
      server: nb,
      group: true,
    };
    await oursSide.signInAgain();
    await refSide.signInAgain();
    await cleanNocobase(refSide);
    for (const side of [oursSide, refSide]) {
      await createCollections(side, ROWS);
      side.workflowId = await createWorkflow(side);
    }
    closers.push(await watchExecutions(oursSide, BENCH_DATABASE, `"${DB_SCHEMA}"."executions"`));
    closers.push(await watchExecutions(refSide, NOCOBASE_DATABASE, '"executions"'));
    await checkSameAnswers(oursSide, refSide);

    const health = await compare(HEALTH_PATH, oursSide, refSide);
    describeRounds(`nocobase GET ${HEALTH_PATH}`, health);
    await oursSide.signInAgain();
    await refSide.signInAgain();
    const list = await compare(LIST_PATH, oursSide, refSide);
    describeRounds(`nocobase GET ${LIST_PATH}`, list);
    const appends = await compare(APPENDS_PATH, oursSide, refSide);
    describeRounds(`nocobase GET ${APPENDS_PATH}`, appends);
    await oursSide.signInAgain();
    await refSide.signInAgain();
    const create = await compare(CREATE_PATH, oursSide, refSide, CREATE_BODY);
    describeRounds(`nocobase POST ${CREATE_PATH}`, create);
    const workflow = await workflowScenario(oursSide, refSide);

    const rps = (xs: LoadFigures[]) => median(xs.map((x) => x.requestsPerSecond));
    const cpu = (xs: LoadFigures[]) => median(xs.map((x) => x.cpuUsPerRequest ?? NaN));
    const how = `${CONNECTIONS} connections, ${HTTP_ROUNDS} alternating rounds of ${HTTP_MEASURE_S}s, ratio = median per-round ratio`;
    const vs = `clusterbase all-in-one vs NocoBase ${NOCOBASE_VERSION}`;
    const figures = (what: string, rounds: Rounds): BenchResult[] => [
      { name: `nocobase ${what}, ${vs} (${how})`, ours: rps(rounds.ours), reference: rps(rounds.reference), unit: 'req/s', ratio: pairedRatio(rounds) },
      { name: `nocobase ${what}, server CPU per request, NocoBase / clusterbase`, ours: cpu(rounds.ours), reference: cpu(rounds.reference), unit: 'µs/req', ratio: cpuRatio(rounds) },
    ];
    const mid = (xs: number[]) => {
      const sorted = [...xs].sort((x, y) => x - y);
      const m = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
    };
    const seconds = (xs: WorkflowRound[]) => mid(xs.map((x) => x.seconds));
    const scenario = `${WF_CREATES} creates x${WF_CONCURRENCY}, each triggering the four-node workflow, until all executions end`;
    return [
      ...figures('GET /api/__health_check', health),
      ...figures(`GET :list 20 of ${ROWS} rows sort -qty, goal >= 10x`, list),
      ...figures('GET :list 20 rows appends category + filter', appends),
      ...figures('POST :create one row, goal >= 10x', create),
      {
        name: `nocobase workflow: ${scenario} (clusterbase ${seconds(workflow.ours).toFixed(1)} s, NocoBase ${seconds(workflow.reference).toFixed(1)} s), goal >= 10x, ratio = median per-round ratio of ${WF_ROUNDS}`,
        ours: WF_CREATES / seconds(workflow.ours),
        reference: WF_CREATES / seconds(workflow.reference),
        unit: 'exec/s',
        ratio: mid(workflow.ours.map((x, i) => workflow.reference[i]!.seconds / x.seconds)),
      },
      {
        name: `nocobase workflow: ${scenario}, server CPU seconds, NocoBase / clusterbase`,
        ours: mid(workflow.ours.map((x) => x.cpuSeconds)),
        reference: mid(workflow.reference.map((x) => x.cpuSeconds)),
        unit: 'CPU s',
        ratio: mid(workflow.ours.map((x, i) => workflow.reference[i]!.cpuSeconds / x.cpuSeconds)),
      },
    ];
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(closers.map((close) => close()));
  }
}

if (require.main === module) runStandalone(run);
