/**
 * Records through clusterbase's gateway against a bare fastify 5 + `pg` handler running the same SQL,
 * in the same run, with autocannon (10 connections, keep-alive, no pipelining):
 * - `GET /api/products:list?page=1&pageSize=20`: 20 rows of a ~1000-row collection and the count.
 * - `POST /api/products:create` with a small JSON body: one row.
 * Target (the issue's): at least 0.5x of the bare handler on each.
 * clusterbase runs from the compiled build (`node dist/scripts/start.js`, schema `bench_records`, dropped
 * and recreated at the start, single process with `WORKER_MODE=!`); every request carries the root
 * user's bearer token, so the figure includes authentication, ACL, the action dispatch through Moleculer,
 * field decoding and (for create) the transaction and write hooks. The reference
 * (`support/bare-fastify-pg.js`, a `pg` Pool of 10 connections) reads and writes the same table with no
 * auth and no transaction: the floor of what a Node handler can do. Both are child processes of this
 * Node; autocannon runs in this process. Each side gets a warm-up, then the sides alternate for ROUNDS
 * runs (order swapped each round) and the median counts. Before measuring, both must answer 200 with
 * the same list body and the same create shape.
 * Needs `npm run build` and PostgreSQL (database `clusterbase_bench`, created if missing).
 * Run: `npx tsx test/bench/records.bench.ts`.
 */
import { join } from 'node:path';
import type { BenchResult } from './support/bench-result.js';
import { startChildServer, type ChildServer } from './support/child-server.js';
import { databaseUrl, HOST, resetBenchSchema, ROOT, startClusterbase } from './support/clusterbase-node.js';
import { load, type LoadFigures, type LoadOptions } from './support/load.js';
import { freePort } from './support/ports.js';
import { alternateRounds, describeRounds, MEASURE_S, median, ROUNDS, type Rounds } from './support/rounds.js';
import { runStandalone } from './support/standalone';

export type { BenchResult } from './support/bench-result.js';

const BARE_SCRIPT = join(__dirname, 'support', 'bare-fastify-pg.js');
const DB_SCHEMA = 'bench_records';
const CONNECTIONS = 10;
const POOL_SIZE = 10;
const SEED_ROWS = 1000;
const LIST_PATH = '/api/products:list?page=1&pageSize=20';
const CREATE_PATH = '/api/products:create';
const CREATE_BODY = JSON.stringify({ title: 'bench item', price: 9.99, qty: 3, active: true });
const COLLECTION = {
  name: 'products',
  fields: [
    { name: 'title', type: 'string' },
    { name: 'price', type: 'double' },
    { name: 'qty', type: 'integer' },
    { name: 'active', type: 'boolean' },
  ],
};

interface Side {
  readonly base: string;
  readonly headers: Readonly<Record<string, string>>;
}

async function request(method: string, url: string, headers: Readonly<Record<string, string>>, body?: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body }) });
  return { status: res.status, body: await res.text() };
}

async function expectOk(what: string, res: Promise<{ status: number; body: string }>): Promise<unknown> {
  const { status, body } = await res;
  if (status !== 200) throw new Error(`${what} answered ${status}: ${body.slice(0, 500)}`);
  return JSON.parse(body) as unknown;
}

async function startBare(): Promise<{ server: ChildServer; base: string }> {
  const port = await freePort();
  const server = await startChildServer({
    name: 'bare fastify + pg (test/bench/support/bare-fastify-pg.js)',
    args: [BARE_SCRIPT],
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      HOST,
      DATABASE_URL: databaseUrl(),
      DB_SCHEMA,
      POOL_SIZE: String(POOL_SIZE),
    },
    readyUrl: `http://${HOST}:${port}/api/__health_check`,
  });
  return { server, base: `http://${HOST}:${port}` };
}

/** Signs in as the root user, creates `products` and seeds SEED_ROWS rows through the API; returns the auth headers. */
async function prepare(base: string): Promise<Record<string, string>> {
  const signIn = (await expectOk(
    'POST /api/auth:signIn',
    request('POST', `${base}/api/auth:signIn`, {}, JSON.stringify({ account: 'nocobase', password: 'admin123' })),
  )) as { data?: { token?: unknown } };
  const token = signIn.data?.token;
  if (typeof token !== 'string') throw new Error('POST /api/auth:signIn answered no data.token');
  const headers = { authorization: `Bearer ${token}` };
  await expectOk('POST /api/collections:create', request('POST', `${base}/api/collections:create`, headers, JSON.stringify(COLLECTION)));
  const rows = Array.from({ length: SEED_ROWS }, (_, i) => ({ title: `item ${i}`, price: (i % 500) + 0.25, qty: i % 97, active: i % 3 !== 0 }));
  await expectOk('POST /api/products:create (seed)', request('POST', `${base}${CREATE_PATH}`, headers, JSON.stringify(rows)));
  return headers;
}

/** `{ key: typeof value }` of a record, to compare shapes when values (ids, timestamps) differ. */
function shape(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return typeof value;
  return JSON.stringify(Object.entries(value).map(([k, v]) => [k, v === null ? 'null' : typeof v]));
}

/** Both sides must answer the same list body and the same create shape, or the comparison is not like for like. */
async function checkSameAnswers(ours: Side, reference: Side): Promise<void> {
  const list = async (side: Side) => request('GET', side.base + LIST_PATH, side.headers);
  const [a, b] = [await list(ours), await list(reference)];
  if (a.status !== 200 || b.status !== 200 || a.body !== b.body) {
    throw new Error(`GET ${LIST_PATH} differs: clusterbase ${a.status} ${a.body.slice(0, 300)} / bare ${b.status} ${b.body.slice(0, 300)}`);
  }
  const listed = JSON.parse(a.body) as { data: unknown[]; meta: { count: number } };
  if (listed.data.length !== 20 || listed.meta.count !== SEED_ROWS) {
    throw new Error(`GET ${LIST_PATH}: expected 20 rows of ${SEED_ROWS}, got ${listed.data.length} of ${listed.meta.count}`);
  }
  const create = async (side: Side) => (await expectOk(`POST ${CREATE_PATH} on ${side.base}`, request('POST', side.base + CREATE_PATH, side.headers, CREATE_BODY))) as { data: unknown };
  const [c, d] = [await create(ours), await create(reference)];
  const [sc, sd] = [shape(c.data), shape(d.data)];
  if (sc !== sd || Object.keys(c).join() !== 'data' || Object.keys(d).join() !== 'data') {
    throw new Error(`POST ${CREATE_PATH} shapes differ: clusterbase ${JSON.stringify(c)} / bare ${JSON.stringify(d)}`);
  }
}

type Shot = Omit<LoadOptions, 'url' | 'connections' | 'duration' | 'headers'> & { readonly path: string };

/** Median figures of ROUNDS alternating runs per side, after a warm-up of each. */
async function compare(shot: Shot, ours: Side, reference: Side): Promise<Rounds> {
  const { path, ...rest } = shot;
  const run = (side: Side, duration: number) =>
    load({
      ...rest,
      url: side.base + path,
      connections: CONNECTIONS,
      duration,
      headers: { ...side.headers, ...(rest.body === undefined ? {} : { 'content-type': 'application/json' }) },
    });
  return alternateRounds(ours, reference, run);
}

function describe(what: string, figures: Rounds): void {
  describeRounds(`records ${what}`, figures);
}

export async function run(): Promise<BenchResult[]> {
  const servers: ChildServer[] = [];
  try {
    await resetBenchSchema(DB_SCHEMA);
    const cb = await startClusterbase({ schema: DB_SCHEMA, env: { WORKER_MODE: '!' } });
    servers.push(cb.server);
    const ours: Side = { base: cb.base, headers: await prepare(cb.base) };
    const bare = await startBare();
    servers.push(bare.server);
    const reference: Side = { base: bare.base, headers: {} };
    await checkSameAnswers(ours, reference);

    // List first: the create runs add rows, which would change the count (not the page) of the list.
    const list = await compare({ path: LIST_PATH }, ours, reference);
    describe(`GET ${LIST_PATH}`, list);
    const create = await compare({ path: CREATE_PATH, method: 'POST', body: CREATE_BODY }, ours, reference);
    describe(`POST ${CREATE_PATH}`, create);
    const rps = (xs: LoadFigures[]) => median(xs.map((x) => x.requestsPerSecond));
    const how = `${CONNECTIONS} connections, median of ${ROUNDS}x${MEASURE_S}s`;
    return [
      {
        name: `records GET :list 20 of ${SEED_ROWS} rows, gateway vs bare fastify 5 + pg same SQL, target >= 0.5x (${how})`,
        ours: rps(list.ours),
        reference: rps(list.reference),
        unit: 'req/s',
      },
      {
        name: `records POST :create one row, gateway vs bare fastify 5 + pg insert, target >= 0.5x (${how})`,
        ours: rps(create.ours),
        reference: rps(create.reference),
        unit: 'req/s',
      },
    ];
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

if (require.main === module) runStandalone(run);
