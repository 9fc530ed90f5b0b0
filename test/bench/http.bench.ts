/**
 * HTTP requests per second through clusterbase's gateway against a bare fastify 5 server, in the same
 * run, with autocannon (10 connections, keep-alive, no pipelining):
 * - `GET /api/__health_check`: the gateway's own cost per request (request id, metrics hook, error and
 *   404 handlers) against fastify answering `ok`. Target: at least 0.9x of bare fastify.
 * - `GET /api/app:getInfo`, for information: a real action dispatch (route lookup, `broker.call` through
 *   Moleculer's middlewares, the `{ data }` envelope) against fastify sending the same JSON.
 * Both servers run as their own child processes of this Node (clusterbase from the compiled build,
 * `node dist/scripts/start.js`; the reference `support/bare-fastify.js`), so both pay the same process
 * and loopback costs; autocannon runs in this process. Each side gets a 3 s warm-up, then the sides
 * alternate for 9 rounds of 2 s (order swapped each round); the figures are the median rounds and the
 * ratio the median of the per-round ratios (the two runs of a round share the machine's load).
 * Needs `npm run build` and PostgreSQL (database `clusterbase_bench`, created on first start).
 * Run: `npx tsx test/bench/http.bench.ts`.
 */
import { join } from 'node:path';
import type { BenchResult } from './support/bench-result.js';
import { startChildServer, type ChildServer } from './support/child-server.js';
import { HOST, ROOT, startClusterbase } from './support/clusterbase-node.js';
import { load, withCpu, type LoadFigures } from './support/load.js';
import { freePort } from './support/ports.js';
import { alternateRounds, cpuRatio, describeRounds, MEASURE_S, median, pairedRatio, type Rounds } from './support/rounds.js';
import { runStandalone } from './support/standalone';

export type { BenchResult } from './support/bench-result.js';

const BARE_SCRIPT = join(__dirname, 'support', 'bare-fastify.js');
const CONNECTIONS = 10;
const DB_SCHEMA = 'bench';
/** More and shorter-paired rounds than the default: the health-check ratio is read against a 0.9x target. */
const HTTP_ROUNDS = 9;
const HTTP_WARMUP_S = 3;

async function fetchText(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
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

interface Server {
  readonly base: string;
  readonly server: ChildServer;
}

/** The load runs of `path` on both servers, alternating (see support/rounds.ts), with each server's CPU per request. */
function compare(path: string, ours: Server, reference: Server): Promise<Rounds> {
  const run = (side: Server, duration: number) => withCpu(side.server.pid, () => load({ url: side.base + path, connections: CONNECTIONS, duration }));
  return alternateRounds(ours, reference, run, {
    rounds: HTTP_ROUNDS,
    warmupS: HTTP_WARMUP_S,
  });
}

function describe(path: string, figures: Rounds): void {
  describeRounds(`http ${path}`, figures);
}

export async function run(): Promise<BenchResult[]> {
  const servers: ChildServer[] = [];
  try {
    const ours = await startClusterbase({ schema: DB_SCHEMA });
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

    const health = await compare('/api/__health_check', ours, reference);
    describe('/api/__health_check', health);
    const getInfo = await compare('/api/app:getInfo', ours, reference);
    describe('/api/app:getInfo', getInfo);
    const rps = (xs: LoadFigures[]) => median(xs.map((x) => x.requestsPerSecond));
    const cpu = (xs: LoadFigures[]) => median(xs.map((x) => x.cpuUsPerRequest ?? NaN));
    const how = `${CONNECTIONS} connections, ${HTTP_ROUNDS} alternating rounds of ${MEASURE_S}s, ratio = median per-round ratio`;
    return [
      {
        name: `HTTP GET /api/__health_check, gateway vs bare fastify 5, target >= 0.9x (${how})`,
        ours: rps(health.ours),
        reference: rps(health.reference),
        unit: 'req/s',
        ratio: pairedRatio(health),
      },
      {
        name: `HTTP GET /api/__health_check, server CPU per request, reference / ours (above 1.00x: ours spends less; steady on a loaded machine)`,
        ours: cpu(health.ours),
        reference: cpu(health.reference),
        unit: 'µs/req',
        ratio: cpuRatio(health),
      },
      {
        name: `HTTP GET /api/app:getInfo, gateway + Moleculer action vs bare fastify 5 same JSON, for information (${how})`,
        ours: rps(getInfo.ours),
        reference: rps(getInfo.reference),
        unit: 'req/s',
        ratio: pairedRatio(getInfo),
      },
      {
        name: `HTTP GET /api/app:getInfo, server CPU per request, reference / ours, for information`,
        ours: cpu(getInfo.ours),
        reference: cpu(getInfo.reference),
        unit: 'µs/req',
        ratio: cpuRatio(getInfo),
      },
    ];
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

if (require.main === module) runStandalone(run);
