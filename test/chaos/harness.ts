import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, type NodeSpec, type RunningNode } from '../../scripts/local-cluster';
import { createEffectWorkflow, executionsInProgressSql, idempotentCreates, keyedCreate } from '../cluster/ops/load-streams';
import { checkInvariants, q, unfinishedExecutions, withDb } from './checks';
import { startNats, startPostgres, startRabbitmq, startRedis, type Middleware } from './middleware';
import type { ChaosMiddleware, FaultContext, NodeRole, Profile, Verdict } from './types';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One request node, two workflow nodes, one async-task node. */
export const CHAOS_NODES: readonly NodeSpec[] = [
  { name: 'request-1', workerMode: '!' },
  { name: 'workflow-1', workerMode: 'workflow:process' },
  { name: 'workflow-2', workerMode: 'workflow:process' },
  { name: 'async-task-1', workerMode: 'async-task:process' },
];

const ROLE_MODES: Record<NodeRole, string> = { request: '!', workflow: 'workflow:process', 'async-task': 'async-task:process' };

export interface HarnessOptions {
  /** Every node must answer /readyz 200 within this long after the last fault (default 60 s). */
  readonly recoveryBoundMs?: number;
  /** Rows of the exported collection (default 20,000). */
  readonly exportRows?: number;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
}

const SCHEMA = 'chaos';

/** What to stop if the run is interrupted (Ctrl-C): the cluster and the middleware of the run in progress. */
const inProgress = new Set<() => Promise<void>>();
export async function abortRuns(): Promise<void> {
  await Promise.allSettled([...inProgress].map((stop) => stop()));
}
const PASSWORD = `chaos-${randomBytes(12).toString('hex')}`;

/** Short intervals so leases, sweeps and takeovers act within seconds (defaults are 10–30 s). */
function nodeEnv(profile: Profile, mw: ChaosMiddleware): Record<string, string> {
  return {
    HEARTBEAT_INTERVAL: '1',
    SHUTDOWN_DELAY: '0.5',
    APP_KEY: `chaos-${randomBytes(16).toString('hex')}`,
    APP_AES_SECRET_KEY: randomBytes(32).toString('hex'),
    INIT_ROOT_PASSWORD: PASSWORD,
    WORKER_ID_LEASE: '3',
    WORKFLOW_LEASE: '3',
    WORKFLOW_SWEEP_INTERVAL: '1',
    WORKFLOW_QUEUEING_GRACE: '3',
    ASYNC_TASK_LEASE: '3',
    ASYNC_TASK_SWEEP_INTERVAL: '1',
    ASYNC_TASK_BATCH_SIZE: '500',
    // Consumers prove they are alive every 2 s; one stalled by a fault is re-created within seconds.
    QUEUE_CONSUMER_STALE_AFTER: '6',
    EXPORT_INLINE_MAX_ROWS: '10',
    ...(profile.queue === 'rabbitmq' ? { QUEUE_ADAPTER: 'rabbitmq', QUEUE_ADAPTER_RABBITMQ_URL: mw.rabbitmq!.url } : {}),
    ...profile.env,
  };
}

async function startMiddleware(profile: Profile): Promise<ChaosMiddleware> {
  const started: Middleware[] = [];
  const keep = async (m: Promise<Middleware>) => {
    const mw = await m;
    started.push(mw);
    return mw;
  };
  try {
    const [postgres, redis, nats, rabbitmq] = await Promise.all([
      keep(startPostgres()),
      keep(profile.middleware?.redis?.() ?? startRedis({ persist: profile.redisPersist ?? true })),
      keep(profile.middleware?.nats?.() ?? startNats()),
      profile.queue === 'rabbitmq' ? keep(startRabbitmq()) : Promise.resolve(undefined),
    ]);
    return { postgres, redis, nats, ...(rabbitmq ? { rabbitmq } : {}) };
  } catch (error) {
    await Promise.allSettled(started.map((m) => m.destroy()));
    throw error;
  }
}

async function api<T = unknown>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

const ready = async (node: RunningNode) => {
  const res = await fetch(`http://127.0.0.1:${node.healthPort}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
  return res?.status === 200;
};

/** Polls `check` every 250 ms until true or `boundMs` passed; database errors (a restart) count as "not yet". */
async function within(boundMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const giveUpAt = Date.now() + boundMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > giveUpAt) return false;
    await sleep(250);
  }
}

/**
 * Runs one profile end to end on a fresh cluster and returns its verdict: middleware and cluster up,
 * a 4-node workflow on every write, an export task, the faults while writes flow, then the checks.
 */
export async function runProfile(profile: Profile, options: HarnessOptions = {}): Promise<Verdict> {
  const started = Date.now();
  const recoveryBoundMs = options.recoveryBoundMs ?? 60_000;
  const exportRows = options.exportRows ?? 20_000;
  const out = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let faultsStarted = 0;
  const log = (m: string) => out(`[${profile.name}${faultsStarted ? ` +${((Date.now() - faultsStarted) / 1000).toFixed(1)}s` : ''}] ${m}`);
  const logDir = mkdtempSync(join(tmpdir(), `cb-chaos-${profile.name}-`));
  const files = new Map<string, WriteStream>();
  const allLines: string[] = [];
  const onLine = (source: string, line: string) => {
    let file = files.get(source);
    if (!file) files.set(source, (file = createWriteStream(join(logDir, `${source}.log`))));
    file.write(`${line}\n`);
    allLines.push(`${source}: ${line}`);
  };
  const problems: string[] = [];
  let writes = { acknowledged: [] as string[], failures: [] as string[], retries: 0, longestAckMs: 0 };
  let recoveryMs = -1;
  let exported = 0;

  log('starting middleware');
  const mw = await startMiddleware(profile);
  const stopAll = async () => {
    const stopped = await Promise.race([cluster.stop().then(() => true), sleep(30_000).then(() => false)]);
    if (!stopped) await Promise.all(cluster.nodes.map((n) => cluster.kill(n)));
    await Promise.allSettled(Object.values(mw).map((m: Middleware) => m.destroy()));
  };
  inProgress.add(stopAll);
  const cluster = new LocalCluster({
    databaseUrl: mw.postgres.url,
    redisUrl: mw.redis.url,
    natsUrl: mw.nats.url,
    schema: SCHEMA,
    namespace: `chaos${randomBytes(3).toString('hex')}`,
    nodes: CHAOS_NODES,
    nginx: false,
    autoBuild: false,
    env: nodeEnv(profile, mw),
    onLine,
  });
  try {
    log(`starting ${CHAOS_NODES.length} nodes (postgres ${mw.postgres.port}, redis ${mw.redis.port}, nats ${mw.nats.port}${mw.rabbitmq ? `, rabbitmq ${mw.rabbitmq.port}` : ''})`);
    await cluster.start();
    const base = cluster.url;
    const token = (await api<{ data: { token: string } }>(base, '', 'POST', 'auth:signIn', { account: 'nocobase', password: PASSWORD })).data.token;
    await api(base, token, 'POST', 'collections:create', { name: 'orders', fields: [{ name: 'ref', type: 'string' }] });
    await api(base, token, 'POST', 'collections:create', { name: 'export_rows', fields: [{ name: 'title', type: 'string' }, { name: 'n', type: 'integer' }] });
    await withDb(mw.postgres.url, (db) =>
      db.query(`insert into ${q(SCHEMA, 'export_rows')} (id, title, n, "createdAt", "updatedAt") select g, 'row-' || g, g, now(), now() from generate_series(1, ${exportRows}) g`),
    );
    const workflow = await createEffectWorkflow(base, token, 'orders', 'order_effects', { markDone: true });

    const load = idempotentCreates(base, 'orders', token, { workers: 2, giveUpAfterMs: 120_000, pauseMs: 150 });
    const warm = await within(60_000, async () => (await withDb(mw.postgres.url, (db) => db.query(`select 1 from ${q(SCHEMA, 'order_effects')} where "done" limit 1`))).rowCount === 1);
    if (!warm) problems.push('no workflow execution completed within 60 s before any fault');
    const exportTask = (await api<{ data: { id: string } }>(base, token, 'POST', 'export_rows:export?title=chaos&format=csv', {
      columns: [
        { dataIndex: ['id'], defaultTitle: 'ID' },
        { dataIndex: ['title'], defaultTitle: 'Title' },
        { dataIndex: ['n'], defaultTitle: 'N' },
      ],
    })).data.id;

    const ctx: FaultContext = {
      middleware: mw,
      cluster,
      nodes: (role) => cluster.nodes.filter((n) => n.spec.workerMode === ROLE_MODES[role]),
      busy: async () => {
        await within(30_000, async () => (await withDb(mw.postgres.url, (db) => db.query<{ n: number }>(executionsInProgressSql(SCHEMA)))).rows[0]!.n > 0);
      },
      log,
      sleep,
    };
    faultsStarted = Date.now();
    log('applying faults');
    await profile.apply(ctx);
    const faultsEnded = Date.now();
    log('faults over; waiting for every node to be ready');
    const recovered = await within(recoveryBoundMs, async () => (await Promise.all(cluster.nodes.map(ready))).every(Boolean));
    recoveryMs = Date.now() - faultsEnded;
    if (!recovered) {
      const states = await Promise.all(
        cluster.nodes.map(async (n) => {
          const res = await fetch(`http://127.0.0.1:${n.healthPort}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
          return res?.status === 200 ? null : `${n.spec.name}: ${res ? `${res.status} ${(await res.text()).slice(0, 300)}` : 'no answer'}`;
        }),
      );
      problems.push(`not every node ready ${recoveryBoundMs / 1000} s after the last fault: ${states.filter(Boolean).join('; ')}`);
      // What the database sessions were doing: a pool stuck on a lock or a leaked transaction shows here.
      const sessions = await withDb(mw.postgres.url, (db) =>
        db.query<{ n: number; state: string; wait: string; query: string }>(
          `select count(*)::int as n, coalesce(state, '') as state, coalesce(wait_event_type || ':' || wait_event, '') as wait, left(query, 120) as query
             from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() group by 2, 3, 4 order by 1 desc limit 8`,
        ),
      ).catch(() => null);
      if (sessions) problems.push(`database sessions then: ${sessions.rows.map((r) => `${r.n}× ${r.state} ${r.wait} «${r.query}»`).join(' | ')}`);
    }
    log(`recovered in ${(recoveryMs / 1000).toFixed(1)} s; writes go on for 3 s more`);
    await sleep(3000);
    writes = await load.stop();

    const after = `after-${randomBytes(4).toString('hex')}`;
    const afterWrite = await keyedCreate(base, 'orders', token, after, 60_000);
    if (!afterWrite.ok) problems.push(`the write after the last fault was not acknowledged: ${afterWrite.failure}`);
    else {
      writes.acknowledged.push(after);
      const processed = await within(90_000, async () =>
        (await withDb(mw.postgres.url, (db) => db.query(`select 1 from ${q(SCHEMA, 'order_effects')} where "ref" = $1 and "done"`, [after]))).rowCount === 1,
      );
      if (!processed) problems.push('the write after the last fault was not processed end to end within 90 s');
    }
    log(`${writes.acknowledged.length} writes acknowledged; waiting for executions to settle`);
    const settled = await within(180_000, async () => (await withDb(mw.postgres.url, (db) => unfinishedExecutions(db, SCHEMA, workflow.id))) === 0);
    if (!settled) {
      const left = await withDb(mw.postgres.url, (db) => unfinishedExecutions(db, SCHEMA, workflow.id)).catch(() => -1);
      problems.push(`${left} execution(s) still QUEUEING or STARTED 180 s after the load stopped`);
    }
    const task = await (async () => {
      let row: { status: number | null; result: { rows?: number } | null; progressCurrent: number } | undefined;
      await within(180_000, async () => {
        row = (await withDb(mw.postgres.url, (db) => db.query(`select "status", "result", "progressCurrent" from ${q(SCHEMA, 'asyncTasks')} where "id" = $1`, [exportTask]))).rows[0];
        return row !== undefined && row.status !== null && row.status !== 0;
      });
      return row;
    })();
    exported = Number(task?.result?.rows ?? 0);
    if (task?.status !== 1 || exported !== exportRows) {
      problems.push(`export task ended with status ${task?.status ?? 'none'} and ${exported} of ${exportRows} rows (progress ${task?.progressCurrent ?? 0})`);
    }
    problems.push(
      ...(await withDb(mw.postgres.url, (db) =>
        checkInvariants(db, { schema: SCHEMA, workflowId: workflow.id, effects: 'order_effects', writes, logs: allLines.join('\n') }),
      )),
    );
  } catch (error) {
    problems.push(`the run itself failed: ${error instanceof Error ? error.message.split('\n').slice(0, 5).join(' ') : String(error)}`);
  } finally {
    log('stopping the cluster and the middleware');
    await stopAll();
    inProgress.delete(stopAll);
    await Promise.all([...files.values()].map((f) => new Promise((r) => f.end(r))));
  }
  const passed = problems.length === 0;
  const keepLogs = !passed || process.env.CHAOS_KEEP_LOGS === '1';
  if (!keepLogs) rmSync(logDir, { recursive: true, force: true });
  return {
    profile: profile.name,
    passed,
    writes: writes.acknowledged.length,
    retries: writes.retries,
    longestAckMs: writes.longestAckMs,
    recoveryMs,
    exportRows: exported,
    totalMs: Date.now() - started,
    problems,
    logDir: keepLogs ? logDir : '',
  };
}

/** The verdict line: `chaos <profile>: PASS writes=… retries=… longest-ack=…s recovery=…s export=… rows (…s)`. */
export function verdictLine(v: Verdict): string {
  const figures = `writes=${v.writes} retries=${v.retries} longest-ack=${(v.longestAckMs / 1000).toFixed(1)}s recovery=${(v.recoveryMs / 1000).toFixed(1)}s export=${v.exportRows} rows (${Math.round(v.totalMs / 1000)} s)`;
  return `chaos ${v.profile}: ${v.passed ? 'PASS' : 'FAIL'} ${figures}${v.passed ? '' : `\n  - ${v.problems.join('\n  - ')}`}${v.logDir ? `\n  logs: ${v.logDir}` : ''}`;
}
