/**
 * HTTP requests per second through clusterbase's gateway against a bare fastify 5 server, in the same
 * run, with autocannon (10 connections, keep-alive, no pipelining):
 * - `GET /api/__health_check`: the gateway's own cost per request (request id, metrics hook, error and
 *   404 handlers) against fastify answering `ok`. Target: at least 0.9x of bare fastify.
 * - `GET /api/app:getInfo`, for information: a real action dispatch (route lookup, `broker.call` through
 *   Moleculer's middlewares, the `{ data }` envelope) against fastify sending the same JSON.
 * Both servers run as their own child processes of this Node (clusterbase from the compiled build,
 * `node dist/scripts/start.js`; the reference `support/bare-fastify.js`), so both pay the same process
 * and loopback costs; autocannon runs in this process. Each side gets a warm-up, then the sides
 * alternate for ROUNDS runs (order swapped each round) and the median counts.
 * Needs `npm run build` and PostgreSQL (database `clusterbase_bench`, created on first start).
 * Run: `npx tsx test/bench/http.bench.ts`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES } from '../support/services.js';
import type { BenchResult } from './support/bench-result.js';
import { startChildServer, type ChildServer } from './support/child-server.js';
import { load, type LoadFigures } from './support/load.js';
import { freePort } from './support/ports.js';
import { alternateRounds, describeRounds, MEASURE_S, median, ROUNDS, type Rounds } from './support/rounds.js';
import { runStandalone } from './support/standalone';

export type { BenchResult } from './support/bench-result.js';

const ROOT = join(__dirname, '..', '..');
const START_SCRIPT = join(ROOT, 'dist', 'scripts', 'start.js');
const BARE_SCRIPT = join(__dirname, 'support', 'bare-fastify.js');
const HOST = '127.0.0.1';
const CONNECTIONS = 10;
const DB_SCHEMA = 'bench';

function benchDatabaseUrl(): string {
  const url = new URL(SERVICES.postgres.url);
  url.pathname = '/clusterbase_bench';
  return url.toString();
}

async function fetchText(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

async function startClusterbase(): Promise<{ server: ChildServer; base: string }> {
  const [appPort, healthPort] = [await freePort(), await freePort()];
  const server = await startChildServer({
    name: 'clusterbase (node dist/scripts/start.js)',
    args: [START_SCRIPT],
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATABASE_URL: benchDatabaseUrl(),
      DB_SCHEMA,
      APP_HOST: HOST,
      APP_PORT: String(appPort),
      HEALTH_PORT: String(healthPort),
      LOG_LEVEL: 'warn',
    },
    readyUrl: `http://${HOST}:${healthPort}/readyz`,
  });
  return { server, base: `http://${HOST}:${appPort}` };
}

async function startBareFastify(infoBody: string): Promise<{ server: ChildServer; base: string }> {
  const port = await freePort();
  const server = await startChildServer({
    name: 'bare fastify (test/bench/support/bare-fastify.js)',
    args: [BARE_SCRIPT],
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), HOST, INFO_BODY: infoBody },
    readyUrl: `http://${HOST}:${port}/api/__health_check`,
  });
  return { server, base: `http://${HOST}:${port}` };
}

/** The load runs of `path` on both servers, alternating (see support/rounds.ts). */
function compare(path: string, ours: string, reference: string): Promise<Rounds> {
  return alternateRounds(ours, reference, (base, duration) => load({ url: base + path, connections: CONNECTIONS, duration }));
}

function describe(path: string, figures: Rounds): void {
  describeRounds(`http ${path}`, figures);
}

export async function run(): Promise<BenchResult[]> {
  if (!existsSync(START_SCRIPT)) {
    throw new Error(`${START_SCRIPT} is missing: the HTTP benchmark runs the compiled build; run \`npm run build\` first`);
  }
  const servers: ChildServer[] = [];
  try {
    const ours = await startClusterbase();
    servers.push(ours.server);
    const info = await fetchText(`${ours.base}/api/app:getInfo`);
    if (info.status !== 200) throw new Error(`clusterbase GET /api/app:getInfo answered ${info.status}: ${info.body}`);
    const reference = await startBareFastify(info.body);
    servers.push(reference.server);

    // Both sides must answer the same bodies, or the comparison is not like for like.
    for (const path of ['/api/__health_check', '/api/app:getInfo']) {
      const [a, b] = [await fetchText(ours.base + path), await fetchText(reference.base + path)];
      if (a.status !== 200 || b.status !== 200 || a.body !== b.body) {
        throw new Error(`GET ${path} differs: clusterbase ${a.status} ${a.body} / bare fastify ${b.status} ${b.body}`);
      }
    }

    const health = await compare('/api/__health_check', ours.base, reference.base);
    describe('/api/__health_check', health);
    const getInfo = await compare('/api/app:getInfo', ours.base, reference.base);
    describe('/api/app:getInfo', getInfo);
    const rps = (xs: LoadFigures[]) => median(xs.map((x) => x.requestsPerSecond));
    const how = `${CONNECTIONS} connections, median of ${ROUNDS}x${MEASURE_S}s`;
    return [
      {
        name: `HTTP GET /api/__health_check, gateway vs bare fastify 5, target >= 0.9x (${how})`,
        ours: rps(health.ours),
        reference: rps(health.reference),
        unit: 'req/s',
      },
      {
        name: `HTTP GET /api/app:getInfo, gateway + Moleculer action vs bare fastify 5 same JSON, for information (${how})`,
        ours: rps(getInfo.ours),
        reference: rps(getInfo.reference),
        unit: 'req/s',
      },
    ];
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

if (require.main === module) runStandalone(run);
