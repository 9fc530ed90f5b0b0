/**
 * `npm run cluster [-- --port 13080] [--rolling-restart] [--quiet] [--skip-build] [--database d] [--schema s] [--namespace n]`: a real multi-node clusterbase from this
 * checkout (see docs/cluster.md). Backing services come from DATABASE_URL, REDIS_URL and TRANSPORTER
 * (defaults: the machine's PostgreSQL, Redis and NATS on their usual ports). Ctrl-C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ClusterPrerequisiteError, LocalCluster, LOCAL_CLUSTER_ROOT_PASSWORD } from './local-cluster.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '13080' },
    'rolling-restart': { type: 'boolean', default: false },
    database: { type: 'string', default: 'clusterbase_cluster' },
    schema: { type: 'string', default: 'public' },
    namespace: { type: 'string', default: 'cblocal' },
    quiet: { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
  },
});

// A development tool reads its own few variables; the nodes it starts read theirs through shared/config.
const env = process.env;
const databaseUrl = (() => {
  const u = new URL(env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  u.pathname = `/${args.database}`;
  return u.toString();
})();

const say = (m: string) => process.stdout.write(`[cluster] ${m}\n`);
const cluster = new LocalCluster({
  databaseUrl,
  redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  natsUrl: env.TRANSPORTER ?? 'nats://127.0.0.1:4222',
  schema: args.schema,
  namespace: args.namespace,
  httpPort: Number(args.port),
  autoBuild: !args['skip-build'],
  storagePath: undefined,
  // Unset keys: a fresh random pair for this local cluster, shared by all its nodes.
  env: { LOG_LEVEL: env.LOG_LEVEL ?? 'info', APP_KEY: env.APP_KEY || randomBytes(32).toString('hex'), APP_AES_SECRET_KEY: env.APP_AES_SECRET_KEY || randomBytes(32).toString('hex'), ...(env.INIT_ROOT_PASSWORD ? { INIT_ROOT_PASSWORD: env.INIT_ROOT_PASSWORD } : {}) },
  onLine: (source, line) => {
    if (!args.quiet || source === 'cluster') process.stdout.write(`${source.padEnd(12)} | ${line}\n`);
  },
});

let stopping: Promise<void> | null = null;
const stop = (signal: string) => {
  if (stopping) return;
  say(`${signal}: stopping nginx and every node…`);
  stopping = cluster.stop().then(() => {
    say('stopped; no process left');
    process.exit(0);
  });
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
// `kill -USR2 <pid>` restarts the running cluster node by node (the same as --rolling-restart).
let restarting = false;
process.on('SIGUSR2', () => {
  if (restarting || stopping) return;
  restarting = true;
  void cluster
    .rollingRestart(say)
    .then((report) => say(`rolling restart done: ${report.map((r) => `${r.node} exited ${r.exitCode}`).join(', ')}`))
    .catch((err: Error) => say(`rolling restart failed: ${err.message}`))
    .finally(() => (restarting = false));
});

async function main(): Promise<void> {
  say(`starting on ${databaseUrl.replace(/\/\/[^@/]*@/, '//')} schema ${args.schema}, namespace ${args.namespace}…`);
  await cluster.start();
  say(`nginx: ${cluster.url}  (API ${cluster.url}/api/…, sign in as nocobase / ${env.INIT_ROOT_PASSWORD ? '<INIT_ROOT_PASSWORD>' : LOCAL_CLUSTER_ROOT_PASSWORD}; config ${cluster.nginxConfPath})`);
  for (const n of cluster.nodes) {
    say(`${n.spec.name.padEnd(12)} WORKER_MODE=${n.spec.workerMode.padEnd(18)} api :${n.appPort}  health http://127.0.0.1:${n.healthPort}/readyz  metrics /metrics`);
  }
  if (args['rolling-restart']) {
    say('rolling restart: one node at a time');
    const report = await cluster.rollingRestart(say);
    say(`rolling restart done: ${report.map((r) => `${r.node} exited ${r.exitCode}`).join(', ')}`);
  }
  say(`Ctrl-C stops everything; kill -USR2 ${process.pid} restarts every node one by one`);
}

main().catch(async (err) => {
  if (stopping) return; // Ctrl-C during the start: the stop in progress ends the process
  if (err instanceof ClusterPrerequisiteError) process.stderr.write(`[cluster] cannot start:\n${err.message}\n`);
  else process.stderr.write(`[cluster] failed: ${(err as Error).stack ?? String(err)}\n`);
  await cluster.stop();
  process.exit(1);
});
