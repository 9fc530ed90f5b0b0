import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { findNginx, LocalCluster, LOCAL_CLUSTER_ROOT_PASSWORD } from '../../../scripts/local-cluster';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { requireServices, SERVICES } from '../../support/services';
import { createEffectWorkflow, executionsInProgressSql, idempotentCreates, steadyGets, workflowExecutions, type EffectWorkflow, type LoadStream, type WorkflowReport } from './load-streams';

/**
 * The issue 8 guarantee, with real processes: nginx (deploy/nginx.conf's settings) in front of two
 * request nodes, a workflow node and an async-task node; every node is restarted one by one
 * (SIGTERM → drain → exit → start → ready) while traffic flows through nginx, and every order the
 * POST stream creates triggers a workflow execution (collection trigger → create an effect row keyed by
 * the order's id → calculation → update it) that must complete exactly once on the one workflow node.
 */
describe('a rolling restart under load through nginx', () => {
  const schema = uniqueSchema('rr');
  const namespace = `rr${randomBytes(4).toString('hex')}`;
  let cluster: LocalCluster;
  let token: string;
  let workflow: EffectWorkflow;

  beforeAll(async () => {
    await requireServices('postgres', 'redis', 'nats');
    if (!findNginx()) throw new Error('nginx is not installed: apt-get install -y nginx-light (the test runs /usr/sbin/nginx unprivileged)');
    cluster = new LocalCluster({
      databaseUrl: testDatabaseUrl(),
      redisUrl: SERVICES.redis.url,
      natsUrl: SERVICES.nats.url,
      schema,
      namespace,
      autoBuild: false,
      env: {
        HEARTBEAT_INTERVAL: '1',
        SHUTDOWN_DELAY: '0.5',
        APP_KEY: 'rolling-restart-shared-app-key-d33d4c48124d7c3416edd71a',
        APP_AES_SECRET_KEY: 'a2ce251ee1926bca9d77b10f963b6758315fd924b984b8a7d554981b4409ef52',
        // Short workflow intervals (defaults 30 s / 15 s / 10 s): an execution left STARTED by the
        // restarted workflow node is resumed a few seconds after its lease ran out, not half a minute.
        WORKFLOW_LEASE: '3',
        WORKFLOW_SWEEP_INTERVAL: '1',
        WORKFLOW_QUEUEING_GRACE: '3',
      },
    });
    await cluster.start();
    const signIn = await fetch(`${cluster.url}/api/auth:signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: 'nocobase', password: LOCAL_CLUSTER_ROOT_PASSWORD }),
    });
    token = ((await signIn.json()) as { data: { token: string } }).data.token;
    const created = await fetch(`${cluster.url}/api/collections:create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'orders', fields: [{ name: 'ref', type: 'string' }] }),
    });
    expect(created.status).toBe(200);
  });

  afterAll(async () => {
    await cluster?.stop();
    await dropSchemas(schema);
  });

  /**
   * Every acknowledged order has exactly one execution, RESOLVED, for that very record, and exactly one
   * effect row keyed by its id carrying the calculation's result; no execution failed, and none exists
   * for a record the client does not know about.
   */
  const expectEachExecutedOnce = async (acknowledged: string[], report: WorkflowReport) => {
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    const ids = new Map<string, string>();
    try {
      const { rows } = await db.query<{ ref: string; id: string }>(`select "ref", "id"::text as id from "${schema}"."orders" where "ref" = any($1)`, [acknowledged]);
      for (const r of rows) ids.set(r.ref, r.id);
    } finally {
      await db.end();
    }
    const executionsOf = new Map<string, typeof report.executions>();
    for (const e of report.executions) executionsOf.set(e.ref, [...(executionsOf.get(e.ref) ?? []), e]);
    const effectsOf = new Map<string, typeof report.effects>();
    for (const e of report.effects) effectsOf.set(e.ref, [...(effectsOf.get(e.ref) ?? []), e]);

    expect(report.executions.filter((e) => e.status !== 1)).toEqual([]); // none FAILED (-1), ERROR (-2), left QUEUEING/STARTED…
    const wrong = acknowledged.flatMap((ref) => {
      const executions = executionsOf.get(ref) ?? [];
      const effects = effectsOf.get(ref) ?? [];
      const ok =
        executions.length === 1 &&
        executions[0]!.sourceId === ids.get(ref) &&
        effects.length === 1 &&
        effects[0]!.sourceId === ids.get(ref) &&
        effects[0]!.refLength === ref.length;
      return ok ? [] : [{ ref, orderId: ids.get(ref), executions, effects }];
    });
    expect(wrong).toEqual([]);
    expect(report.executions.length).toBe(acknowledged.length);
  };

  test('duplicates of one keyed POST sent to both request nodes at once are applied once, with one answer', async () => {
    const [a, b] = cluster.nodes;
    const send = (port: number) =>
      fetch(`http://127.0.0.1:${port}/api/orders:create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': `dup-${namespace}` },
        body: JSON.stringify({ ref: `dup-${namespace}` }),
      }).then(async (res) => ({ status: res.status, text: await res.text() }));
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => send(i % 2 === 0 ? a!.appPort : b!.appPort)));
    expect(answers.map((x) => x.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((x) => x.text)).size).toBe(1);
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      const { rows } = await db.query(`select count(*)::int as n from "${schema}"."orders" where "ref" = $1`, [`dup-${namespace}`]);
      expect(rows[0].n).toBe(1);
      await db.query(`delete from "${schema}"."orders" where "ref" = $1`, [`dup-${namespace}`]);
    } finally {
      await db.end();
    }
  });

  test('0 failed GETs, every POST applied exactly once, every execution completed once, every node drained and came back', async () => {
    // Before the restart: a workflow on create of `orders` (effect row keyed by the order's id + calculation).
    workflow = await createEffectWorkflow(cluster.url, token, 'orders', 'order_effects');
    // WORKFLOW STREAM (issue 5): every order the POST stream creates triggers an execution of `workflow`;
    // the stream starts before the POSTs and the restart, and its stop() (after the POST stream's)
    // waits until no execution is QUEUEING or STARTED.
    const workflowStreams: Array<LoadStream<WorkflowReport>> = [await workflowExecutions(cluster.url, token, workflow)];
    const gets = steadyGets(cluster.url, '/api/orders:list?pageSize=5&sort=-id', token, 3);
    const posts = idempotentCreates(cluster.url, 'orders', token, 2);

    const restarts = await cluster.rollingRestart();

    const getReport = await gets.stop();
    const postReport = await posts.stop();
    const workflowReports = await Promise.all(workflowStreams.map((s) => s.stop()));

    expect(restarts.map((r) => r.node)).toEqual(['request-1', 'request-2', 'workflow-1', 'async-task-1']);
    // A node that did not exit 0 on SIGTERM (forced out after SHUTDOWN_TIMEOUT, or a failed stop): its warnings and errors.
    const badExits = restarts
      .filter((r) => r.exitCode !== 0)
      .map((r) => ({ ...r, log: cluster.output(r.node).split('\n').filter((l) => /WARN|ERROR|FATAL|SIGTERM|drain|stop/i.test(l)).slice(-40) }));
    expect(badExits).toEqual([]);
    expect(cluster.nodes.map((n) => n.starts)).toEqual([2, 2, 2, 2]);

    expect(getReport.failures).toEqual([]);
    expect(getReport.ok).toBeGreaterThan(50);

    expect(postReport.failures).toEqual([]);
    expect(postReport.acknowledged.length).toBeGreaterThan(20);
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      const { rows } = await db.query<{ ref: string; n: string }>(`select "ref", count(*) as n from "${schema}"."orders" group by "ref"`);
      const counts = new Map(rows.map((r) => [r.ref, Number(r.n)]));
      expect(postReport.acknowledged.filter((ref) => counts.get(ref) !== 1)).toEqual([]);
      // No row the client does not know about (a retried POST written twice, or a lost answer).
      expect(rows.length).toBe(postReport.acknowledged.length);
      const [wr] = workflowReports;
      const reclaimed = (await db.query(`select count(*)::int as n from "${schema}"."executions" where "workflowId" = $1 and "cb_fence" > 1`, [workflow.id])).rows[0].n;
      console.log(
        `rolling restart: ${getReport.ok} GETs ok, ${getReport.failures.length} failed; ${postReport.acknowledged.length} POSTs acknowledged (${postReport.retries} retried); ` +
          `${wr?.executions.length} executions (${wr?.executions.filter((e) => e.status === 1).length} RESOLVED, ${reclaimed} claimed more than once), ` +
          `${wr?.effects.length} effect rows, settled ${wr?.settleMs} ms after the load stopped`,
      );
    } finally {
      await db.end();
    }
    // WORKFLOW STREAM (issue 5): one RESOLVED execution and one complete effect row per acknowledged order.
    expect(workflowReports).toHaveLength(1);
    await expectEachExecutedOnce(postReport.acknowledged, workflowReports[0]!);
  }, 300_000);

  test('a request node that crashes (SIGKILL, no drain) costs no GET, and no POST or execution is lost or doubled', async () => {
    const workflowRun = await workflowExecutions(cluster.url, token, workflow);
    const gets = steadyGets(cluster.url, '/api/orders:list?pageSize=5&sort=-id', token, 3);
    const posts = idempotentCreates(cluster.url, 'orders', token, 2);
    const victim = cluster.nodes[1]!;
    await new Promise((r) => setTimeout(r, 500));
    expect(await cluster.kill(victim)).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    await cluster.restart(victim);
    await new Promise((r) => setTimeout(r, cluster.settleMs));
    const getReport = await gets.stop();
    const postReport = await posts.stop();
    const workflowReport = await workflowRun.stop();

    expect(getReport.failures).toEqual([]);
    expect(postReport.failures).toEqual([]);
    await expectEachExecutedOnce(postReport.acknowledged, workflowReport);
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      const refs = postReport.acknowledged;
      const { rows } = await db.query<{ ref: string; n: number }>(`select "ref", count(*)::int as n from "${schema}"."orders" where "ref" = any($1) group by "ref"`, [refs]);
      expect(rows.filter((r) => r.n !== 1)).toEqual([]);
      expect(rows.length).toBe(refs.length);
    } finally {
      await db.end();
    }
  });

  test('the only workflow node crashing mid-execution (SIGKILL) loses no execution: what it had in progress finishes once, started ones resume after their lease, queued ones wait', async () => {
    const wfNode = cluster.nodes.find((n) => n.spec.workerMode === 'workflow:process')!;
    const owner = `${namespace}-${wfNode.spec.name}`;
    const workflowRun = await workflowExecutions(cluster.url, token, workflow);
    const posts = idempotentCreates(cluster.url, 'orders', token, 2);
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      // Freeze the node, and kill it only when it has work in progress: executions STARTED under a
      // lease (committed mid-way), or step batches it holds open (a run of database-only steps commits
      // once, claim included). The crash then surely interrupts some, whatever the timing.
      let inProgress = 0;
      while (inProgress === 0) {
        await new Promise((r) => setTimeout(r, 300));
        process.kill(-wfNode.child.pid!, 'SIGSTOP');
        // A COMMIT the node sent just before it froze still lands: let it, so what we read next stays true.
        await new Promise((r) => setTimeout(r, 300));
        inProgress = (await db.query<{ n: number }>(executionsInProgressSql(schema))).rows[0]!.n;
        if (inProgress === 0) process.kill(-wfNode.child.pid!, 'SIGCONT');
      }
      // Those committed mid-way under the frozen node's lease must be claimed again after the crash.
      const { rows: started } = await db.query<{ id: string }>(
        `select "id"::text as id from "${schema}"."executions" where "workflowId" = $1 and "status" = 0 and "cb_lease_owner" = $2`,
        [workflow.id, owner],
      );
      const interrupted = started.map((r) => r.id);
      expect(await cluster.kill(wfNode)).toBe('SIGKILL');
      // Down for a while under load: new executions queue up meanwhile.
      await new Promise((r) => setTimeout(r, 1500));
      await cluster.restart(wfNode);
      await new Promise((r) => setTimeout(r, 1000));
      const postReport = await posts.stop();
      const workflowReport = await workflowRun.stop();
      console.log(
        `workflow node SIGKILL: ${inProgress} execution(s) or step batch(es) in progress, ${interrupted.length} of them committed mid-way; ${postReport.acknowledged.length} POSTs acknowledged; ` +
          `${workflowReport.executions.length} executions, settled ${workflowReport.settleMs} ms after the load stopped`,
      );

      expect(postReport.failures).toEqual([]);
      await expectEachExecutedOnce(postReport.acknowledged, workflowReport);
      // The interrupted ones were claimed again (a new fence) by the restarted node and finished there.
      const { rows } = await db.query<{ id: string; status: number; fence: number }>(
        `select "id"::text as id, "status", "cb_fence" as fence from "${schema}"."executions" where "id" = any($1::bigint[])`,
        [interrupted],
      );
      expect(rows.filter((r) => r.status !== 1 || Number(r.fence) < 2)).toEqual([]);
      expect(rows).toHaveLength(interrupted.length);
    } finally {
      if (wfNode.child.exitCode === null && wfNode.child.signalCode === null) process.kill(-wfNode.child.pid!, 'SIGCONT');
      await db.end();
    }
  }, 300_000);
});
