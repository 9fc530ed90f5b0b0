/**
 * The price of highly available middleware: requests/s and workflow executions/s of the same split
 * cluster (one request node `!`, one `workflow:process` node, compiled dist/) over a Sentinel-managed
 * Redis (primary, replica, three Sentinels) and a three-server NATS cluster ("ours") against one
 * redis-server and one nats-server ("reference"), all started here on free loopback ports, in the
 * same run, sides alternating:
 * - requests/s: `GET /api/items:list?pageSize=20` signed in (token check, Redis, SQL), autocannon;
 * - executions/s: BATCH `items:create` posted 8 at a time, each triggering a one-node workflow (create
 *   an audit row) run by the workflow node through the queue; the figure is BATCH over the time from
 *   the first post until the last execution is resolved (polled in PostgreSQL).
 * Needs `npm run build`, PostgreSQL (database `clusterbase_bench`), redis-server and nats-server.
 * Run: `npm run bench -- ha` or `npx tsx test/bench/ha.bench.ts` (BENCH_HA_BATCH=300 by default).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../shared/db/free-port';
import { startNatsCluster } from '../chaos/middleware/nats-cluster';
import { startSentinelRedis } from '../chaos/middleware/redis-sentinel';
import { ServerProcess } from '../chaos/middleware/server-process';
import type { Json } from '../support/http';
import { spawnNode, tempStorage, type NodeProcess } from '../support/node-process.js';
import { SERVICES } from '../support/services.js';
import type { BenchResult } from './support/bench-result.js';
import { load } from './support/load.js';
import { alternateRounds, describeRounds, median } from './support/rounds.js';
import { runStandalone } from './support/standalone';

const BATCH = Number(process.env.BENCH_HA_BATCH ?? 300);
const EXEC_ROUNDS = 3;

interface Side {
  readonly label: string;
  readonly url: string;
  readonly schema: string;
  readonly token: string;
  readonly pg: Client;
  readonly stop: () => Promise<void>;
}

function benchDatabaseUrl(): string {
  const url = new URL(SERVICES.postgres.url);
  url.pathname = '/clusterbase_bench';
  return url.toString();
}

/** One redis-server and one nats-server of our own, the reference middleware. */
async function singleMiddleware(): Promise<{ redisUrl: string; natsUrl: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-single-'));
  const redisPort = await freePort();
  const natsPort = await freePort();
  const redis = new ServerProcess('redis-server', redisPort, 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
  const nats = new ServerProcess('nats-server', natsPort, 'nats-server', ['-a', '127.0.0.1', '-p', String(natsPort)]);
  await Promise.all([redis.start(), nats.start()]);
  return {
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    natsUrl: `nats://127.0.0.1:${natsPort}`,
    stop: async () => {
      await Promise.all([redis.stop(), nats.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startSide(label: string, redisUrl: string, natsUrl: string): Promise<Side> {
  const id = randomBytes(3).toString('hex');
  const schema = `bench_ha_${label}_${id}`;
  const env = {
    DATABASE_URL: benchDatabaseUrl(), DB_SCHEMA: schema, TRANSPORTER: natsUrl, NAMESPACE: `bha${label}${id}`, STORAGE_PATH: tempStorage(),
    APP_KEY: 'ha-bench-shared-app-key-9d41c7e2b8a6f035', APP_AES_SECRET_KEY: randomBytes(32).toString('hex'), REDIS_URL: redisUrl, CACHE_DEFAULT_STORE: 'redis',
    PUBSUB_ADAPTER: 'redis', QUEUE_ADAPTER: 'redis', LOCK_ADAPTER_DEFAULT: 'redis', WORKER_ID_ADAPTER: 'redis', LOG_LEVEL: 'warn',
  };
  const nodes: NodeProcess[] = [];
  for (const mode of ['!', 'workflow:process']) {
    const node = await spawnNode({ env: { ...env, WORKER_MODE: mode, NODE_ID: `${label}-${mode === '!' ? 'req' : 'wf'}-${id}` } });
    nodes.push(node);
    await node.waitForReady();
  }
  const url = `http://127.0.0.1:${nodes[0]!.appPort}`;
  let token = '';
  const call = async (path: string, body: unknown): Promise<Json> => {
    const res = await fetch(`${url}/api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`${label} POST ${path}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { data: Json }).data;
  };
  token = (await call('auth:signIn', { account: 'nocobase', password: 'admin123' })).token as string;
  await call('collections:create', { name: 'items', fields: [{ name: 'title', type: 'string' }, { name: 'qty', type: 'integer' }] });
  await call('collections:create', { name: 'audit', fields: [{ name: 'itemId', type: 'bigInt' }] });
  await call('items:create', Array.from({ length: 50 }, (_, i) => ({ title: `item ${i}`, qty: i })));
  const workflow = await call('workflows:create', { title: 'audit', type: 'collection', config: { mode: 1, collection: 'items' } });
  await call(`workflows/${workflow.id}/nodes:create`, { type: 'create', upstreamId: null, config: { collection: 'audit', params: { values: { itemId: '{{$context.data.id}}' } } } });
  await call(`workflows:update?filterByTk=${workflow.id}`, { enabled: true });
  const pg = new Client({ connectionString: benchDatabaseUrl() });
  await pg.connect();
  return {
    label,
    url,
    schema,
    token,
    pg,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await pg.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
      await pg.end();
    },
  };
}

/** BATCH writes, each queuing one execution; executions/s from the first write to the last execution resolved. */
async function executionsPerSecond(side: Side): Promise<number> {
  const resolved = async () => Number((await side.pg.query(`select count(*) as c from "${side.schema}"."executions" where "status" = 1`)).rows[0].c);
  const before = await resolved();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < BATCH) {
        next += 1;
        const res = await fetch(`${side.url}/api/items:create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${side.token}` },
          body: JSON.stringify({ title: `w${next}`, qty: next }),
        });
        if (res.status !== 200) throw new Error(`${side.label} items:create: ${res.status}`);
      }
    }),
  );
  const giveUpAt = Date.now() + 600_000;
  while ((await resolved()) - before < BATCH) {
    if (Date.now() > giveUpAt) throw new Error(`${side.label}: executions did not all resolve within 10 minutes`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return (BATCH * 1000) / (performance.now() - started);
}

export async function run(): Promise<BenchResult[]> {
  const admin = new Client({ connectionString: SERVICES.postgres.url });
  await admin.connect();
  if ((await admin.query("select 1 from pg_database where datname = 'clusterbase_bench'")).rowCount === 0) await admin.query('create database clusterbase_bench');
  await admin.end();
  const sides: Side[] = [];
  const middleware: (() => Promise<void>)[] = [];
  try {
    const redis = await startSentinelRedis({ downAfterMs: 5000 });
    middleware.push(() => redis.destroy());
    const nats = await startNatsCluster();
    middleware.push(() => nats.destroy());
    const single = await singleMiddleware();
    middleware.push(single.stop);
    const ha = await startSide('ha', redis.url, nats.url);
    sides.push(ha);
    const one = await startSide('single', single.redisUrl, single.natsUrl);
    sides.push(one);

    const cpuCount = cpus().length;
    const path = '/api/items:list?pageSize=20';
    const rounds = await alternateRounds(ha, one, (side, seconds) =>
      load({ url: side.url + path, connections: 10, duration: seconds, headers: { authorization: `Bearer ${side.token}` } }),
    );
    describeRounds(`ha GET ${path} (ours: Sentinel + NATS cluster, reference: single Redis + NATS)`, rounds);

    const execs = { ha: [] as number[], single: [] as number[] };
    for (let round = 0; round < EXEC_ROUNDS; round++) {
      for (const side of round % 2 === 0 ? [ha, one] : [one, ha]) (side === ha ? execs.ha : execs.single).push(await executionsPerSecond(side));
    }
    console.error(`  ha executions/s (batch ${BATCH}): ours ${execs.ha.map((v) => v.toFixed(0)).join('/')}; reference ${execs.single.map((v) => v.toFixed(0)).join('/')}`);
    const how = `${cpuCount} CPUs shared by the middleware, both nodes and the load generator`;
    return [
      {
        name: `Sentinel Redis + 3-server NATS vs single Redis + NATS, GET ${path} (10 connections, ${how})`,
        ours: median(rounds.ours.map((x) => x.requestsPerSecond)),
        reference: median(rounds.reference.map((x) => x.requestsPerSecond)),
        unit: 'req/s',
      },
      {
        name: `Sentinel Redis + 3-server NATS vs single Redis + NATS, workflow executions (batch ${BATCH}, median of ${EXEC_ROUNDS}, ${how})`,
        ours: median(execs.ha),
        reference: median(execs.single),
        unit: 'exec/s',
      },
    ];
  } finally {
    for (const side of sides) await side.stop().catch((err: unknown) => console.error(`stopping ${side.label}:`, err));
    for (const stop of middleware) await stop().catch((err: unknown) => console.error('stopping middleware:', err));
  }
}

if (require.main === module) runStandalone(run);
