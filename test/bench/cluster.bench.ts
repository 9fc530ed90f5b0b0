/**
 * Requests per second through nginx with two request nodes (ours) against one (reference), in the
 * same run: two local clusters (scripts/local-cluster.ts) up side by side over the machine's
 * PostgreSQL, Redis and NATS, each with its own nginx (deploy/nginx.conf's settings), loaded in
 * alternating rounds by autocannon (20 connections, keep-alive):
 * - `GET /api/app:getInfo`: gateway + Moleculer action, no database;
 * - `GET /api/items:list?pageSize=20`: a signed-in records list (token check, SQL, JSON).
 * Every process (nginx, the nodes, autocannon in this process) shares the machine's CPUs: on 2 cores
 * the second node cannot double the rate; the figure names the CPU count so it is read honestly.
 * Needs `npm run build`, nginx, PostgreSQL (database `clusterbase_bench`), Redis and NATS.
 * Run: `npx tsx test/bench/cluster.bench.ts` or `npm run bench -- cluster`.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { DEFAULT_NODES, LocalCluster, LOCAL_CLUSTER_ROOT_PASSWORD } from '../../scripts/local-cluster';
import { SERVICES } from '../support/services.js';
import type { BenchResult } from './support/bench-result.js';
import { load, type LoadFigures } from './support/load.js';
import { alternateRounds, describeRounds, MEASURE_S, median, ROUNDS } from './support/rounds.js';
import { runStandalone } from './support/standalone';
import type { Json } from '../support/http';

const CONNECTIONS = 20;

function benchDatabaseUrl(): string {
  const url = new URL(SERVICES.postgres.url);
  url.pathname = '/clusterbase_bench';
  return url.toString();
}

async function startCluster(requestNodes: number): Promise<{ cluster: LocalCluster; token: string }> {
  const id = randomBytes(3).toString('hex');
  const cluster = new LocalCluster({
    databaseUrl: benchDatabaseUrl(),
    redisUrl: SERVICES.redis.url,
    natsUrl: SERVICES.nats.url,
    schema: `bench_cluster${requestNodes}`,
    namespace: `bench${requestNodes}${id}`,
    nodes: DEFAULT_NODES.filter((n) => n.workerMode === '!').slice(0, requestNodes),
    autoBuild: false,
    env: { LOG_LEVEL: 'warn', APP_KEY: 'cluster-bench-shared-app-key-0175a74c453749bae3f2c2bd', APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde' },
  });
  await cluster.start();
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${cluster.url}/api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { data?: Json } };
  };
  const token = (await post('auth:signIn', { account: 'nocobase', password: LOCAL_CLUSTER_ROOT_PASSWORD })).body.data.token as string;
  const exists = await fetch(`${cluster.url}/api/items:count`, { headers: { authorization: `Bearer ${token}` } });
  if (exists.status !== 200) {
    await post('collections:create', { name: 'items', fields: [{ name: 'title', type: 'string' }, { name: 'qty', type: 'integer' }] }, token);
    await post('items:create', Array.from({ length: 50 }, (_, i) => ({ title: `item ${i}`, qty: i })), token);
  }
  return { cluster, token };
}

export async function run(): Promise<BenchResult[]> {
  const clusters: LocalCluster[] = [];
  try {
    const one = await startCluster(1);
    clusters.push(one.cluster);
    const two = await startCluster(2);
    clusters.push(two.cluster);
    const cpuCount = cpus().length;
    const how = `${CONNECTIONS} connections, median of ${ROUNDS}x${MEASURE_S}s, ${cpuCount} CPUs shared by nginx, nodes and the load generator`;
    const results: BenchResult[] = [];
    for (const path of ['/api/app:getInfo', '/api/items:list?pageSize=20']) {
      const hit = (side: { cluster: LocalCluster; token: string }, seconds: number): Promise<LoadFigures> =>
        load({ url: side.cluster.url + path, connections: CONNECTIONS, duration: seconds, headers: { authorization: `Bearer ${side.token}` } });
      const rounds = await alternateRounds(two, one, hit);
      describeRounds(`cluster ${path} (ours: 2 request nodes, reference: 1)`, rounds);
      results.push({
        name: `nginx + 2 request nodes vs 1, GET ${path} (${how})`,
        ours: median(rounds.ours.map((x) => x.requestsPerSecond)),
        reference: median(rounds.reference.map((x) => x.requestsPerSecond)),
        unit: 'req/s',
      });
    }
    return results;
  } finally {
    await Promise.all(clusters.map((c) => c.stop()));
  }
}

if (require.main === module) runStandalone(run);
