import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { resolveQueue, type MessageQueue } from '../../../shared/queue';
import { resolveLockAdapter, type LockAdapter } from '../../../shared/lock';
import { clusterEnv } from '../../support/cluster-env';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller, until, type Json } from '../../support/http';
import { ROOT, spawnNode, tempStorage, type NodeProcess } from '../../support/node-process';
import { ROOT_PASSWORD } from '../../support/root';
import { requireServices, SERVICES } from '../../support/services';

/**
 * The cluster API (`cluster:*`) on a real three-node cluster over NATS, Redis and PostgreSQL: a request
 * node and two workflow:process nodes. Any node answers for all of them; a silent node is listed as
 * unreachable; a drained node takes no new executions until it is undrained.
 */
describe('the cluster console API', () => {
  const schema = uniqueSchema('ccon');
  const namespace = `cc${randomBytes(4).toString('hex')}`;
  const env = {
    ...clusterEnv({ schema, namespace, storage: tempStorage(), appKey: 'cluster-console-test-app-key-4f1c2a7e9b3d5f60a1c2', aesKey: 'b7d3e1f0a9c8b7a6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2' }),
    WORKFLOW_SWEEP_INTERVAL: '0.5',
    LOG_LEVEL: 'info',
  };
  const id = { r: `${namespace}-r`, w1: `${namespace}-w1`, w2: `${namespace}-w2` };
  let requests: NodeProcess;
  let w1: NodeProcess;
  let w2: NodeProcess;
  let token: string;
  let queue: MessageQueue;
  let lock: LockAdapter;
  const call = jsonCaller(() => `http://127.0.0.1:${requests.appPort}/api/`, () => token);
  const readyz = async (node: NodeProcess) => {
    const res = await fetch(`http://127.0.0.1:${node.healthPort}/readyz`);
    return { status: res.status, body: (await res.json()) as Json };
  };

  /** `clusterbase …` as a user runs it (the package's bin over the compiled code), against the request node. */
  const cli = (args: string[], tokenOverride?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const env = { PATH: process.env.PATH ?? '', CLUSTERBASE_URL: `http://127.0.0.1:${requests.appPort}`, CLUSTERBASE_TOKEN: tokenOverride ?? token };
      execFile(process.execPath, [join(ROOT, 'bin', 'clusterbase.js'), ...args], { env }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    await requireServices('postgres', 'redis', 'nats');
    requests = await spawnNode({ env: { ...env, WORKER_MODE: '!', NODE_ID: id.r } });
    await requests.waitForReady();
    [w1, w2] = await Promise.all([
      spawnNode({ env: { ...env, WORKER_MODE: 'workflow:process', NODE_ID: id.w1 } }),
      spawnNode({ env: { ...env, WORKER_MODE: 'workflow:process', NODE_ID: id.w2 } }),
    ]);
    await Promise.all([w1.waitForReady(), w2.waitForReady()]);
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token;
    queue = resolveQueue({ type: 'redis', url: SERVICES.redis.url, prefix: `cb:${namespace}` });
    lock = resolveLockAdapter({ type: 'redis', url: SERVICES.redis.url, prefix: `cb:${namespace}` });
    await Promise.all([queue.connect(), lock.connect()]);
    // Every node must see the other two before the tests ask.
    await until(async () => (await call('GET', 'cluster:nodes')).body.data?.nodes?.length === 3);
  });

  afterAll(async () => {
    await Promise.all([queue?.close(), lock?.close()]);
    await Promise.all([requests, w1, w2].map((n) => n?.stop()));
    await dropSchemas(schema);
  });

  test('is for root and admin only: no token is a 401, a member a 403 (reads and writes)', async () => {
    expect((await call('GET', 'cluster:nodes', undefined, '')).status).toBe(401);
    expect((await call('POST', 'users:create', { username: 'member1', password: 'member-password-1' })).status).toBe(200);
    const member = (await call('POST', 'auth:signIn', { account: 'member1', password: 'member-password-1' })).body.data.token as string;
    expect((await call('GET', 'cluster:nodes', undefined, member)).status).toBe(403);
    expect((await call('POST', 'cluster:drain', { node: id.w1 }, member)).status).toBe(403);
    expect((await readyz(w1)).status).toBe(200);
  });

  test('cluster:nodes lists every node with its role, readiness, worker-ID lease and load', async () => {
    const { status, body } = await call('GET', 'cluster:nodes');
    expect(status).toBe(200);
    const nodes = body.data.nodes as Json[];
    expect(body.data.unreachable).toEqual([]);
    expect(nodes.map((n) => n.nodeId).sort()).toEqual([id.r, id.w1, id.w2].sort());
    const byId = Object.fromEntries(nodes.map((n) => [n.nodeId, n]));
    expect(byId[id.r]).toMatchObject({ workerMode: '!', serves: ['!'], status: 'ready', ready: true, drained: false });
    expect(byId[id.r].services).toEqual(expect.arrayContaining(['api', 'data', 'cluster']));
    expect(byId[id.w1]).toMatchObject({ workerMode: 'workflow:process', serves: ['workflow:process'], status: 'ready' });
    for (const n of nodes) {
      expect(n.workerId).toMatchObject({ healthy: true, id: expect.any(Number), leaseAgeMs: expect.any(Number) });
      expect(n.checks.database.ok).toBe(true);
      expect(n).toMatchObject({ rssBytes: expect.any(Number), eventLoopLagMs: expect.any(Number), uptimeSec: expect.any(Number), inFlight: { executions: 0, tasks: 0 } });
    }
    expect(new Set(nodes.map((n) => n.workerId.id)).size).toBe(3);
  });

  test('cluster:locks lists the locks of the cluster with fence and time left, never the token', async () => {
    const handle = await lock.acquire('main:console-test', { ttlMs: 30_000 });
    const { body } = await call('GET', 'cluster:locks');
    const mine = (body.data.locks as Json[]).find((l) => l.key === 'main:console-test');
    expect(mine).toEqual({ key: 'main:console-test', holder: null, fence: handle.fence, expiresInMs: expect.any(Number) });
    expect(mine.expiresInMs).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toContain(handle.token);
    await lock.release('main:console-test', handle.token);
  });

  test('a dead letter is listed with its error, requeued (and fails again here), then discarded', async () => {
    // A message no execution matches fails in the workflow processor and, with one attempt, goes dead.
    await queue.publish('workflow.main', { app: 'main', executionId: 'not-a-number' }, { attempts: 1, jobId: 'console-bad' });
    const dead = await until(async () => ((await call('GET', 'cluster:deadLetters')).body.data.deadLetters as Json[]).find((d) => d.messageId === 'console-bad'));
    expect(dead).toMatchObject({ id: 'workflow.main#console-bad', channel: 'workflow.main', attempts: 1, error: expect.any(String), message: { executionId: 'not-a-number' } });
    expect(dead.error.length).toBeGreaterThan(0);

    expect((await call('POST', 'cluster:requeueDeadLetters', { ids: [dead.id] })).body.data).toEqual({ requeued: 1 });
    await until(async () => ((await call('GET', 'cluster:deadLetters')).body.data.deadLetters as Json[]).some((d) => d.messageId === 'console-bad'));
    expect((await call('POST', 'cluster:discardDeadLetters', { ids: [dead.id] })).body.data).toEqual({ discarded: 1 });
    expect(((await call('GET', 'cluster:deadLetters')).body.data.deadLetters as Json[]).some((d) => d.messageId === 'console-bad')).toBe(false);
    expect((await call('POST', 'cluster:discardDeadLetters', { ids: ['no channel'] })).status).toBe(400);
  });

  test('drained workflow nodes take no new executions (the backlog shows its depth) until one is undrained', async () => {
    for (const node of [id.w1, id.w2]) {
      const { status, body } = await call('POST', 'cluster:drain', { node });
      expect(status).toBe(200);
      expect(body.data).toMatchObject({ nodeId: node, drained: true, status: 'drained' });
    }
    const w1Ready = await readyz(w1);
    expect(w1Ready.status).toBe(503);
    expect(w1Ready.body.status).toBe('drained');
    await until(async () => {
      const q = ((await call('GET', 'cluster:queues')).body.data.queues as Json[]).find((c) => c.channel === 'workflow.main');
      return q && q.consumers[id.w1] === 0 && q.consumers[id.w2] === 0;
    });

    await call('POST', 'collections:create', { name: 'things', fields: [{ name: 'title', type: 'string' }] });
    const wf = (await call('POST', 'workflows:create', { title: 'noop', type: 'collection', config: { mode: 1, collection: 'things' } })).body.data;
    await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'calculation', upstreamId: null, config: { engine: 'math.js', expression: '1 + 1' } });
    expect((await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: true })).status).toBe(200);
    for (let i = 0; i < 5; i += 1) expect((await call('POST', 'things:create', { title: `t${i}` })).status).toBe(200);

    const backlog = await until(async () => {
      const q = ((await call('GET', 'cluster:queues')).body.data.queues as Json[]).find((c) => c.channel === 'workflow.main');
      return q && q.waiting >= 5 && q;
    });
    expect(backlog.inFlight).toBe(0);
    expect(backlog.oldestWaitingMs).toBeGreaterThan(0);
    const resolved = async () => (await call('GET', `executions:list?filter[workflowId]=${wf.id}&filter[status]=1&pageSize=1`)).body.meta.count as number;
    expect(await resolved()).toBe(0);

    expect((await call('POST', 'cluster:undrain', { node: id.w2 })).body.data).toMatchObject({ nodeId: id.w2, drained: false });
    await until(async () => (await resolved()) === 5);

    // Item 7: where each execution ran — on executions:get, one log line at start and end, per-node metrics.
    const list = (await call('GET', `executions:list?filter[workflowId]=${wf.id}&pageSize=10`)).body.data as Json[];
    for (const e of list) {
      const got = (await call('GET', `executions:get?filterByTk=${e.id}`)).body.data;
      expect(got).toMatchObject({ status: 1, clusterNodeId: id.w2 });
      expect(w2.output()).toMatch(new RegExp(`execution started execution=${e.id} workflow=${wf.id} app=main node=${id.w2} attempt=1`));
      expect(w2.output()).toMatch(new RegExp(`execution ended execution=${e.id} workflow=${wf.id} app=main node=${id.w2} durationMs=\\d+ outcome=resolved`));
      expect(w1.output()).not.toContain(`execution=${e.id} `);
    }
    const metrics = async (node: NodeProcess) => (await fetch(`http://127.0.0.1:${node.healthPort}/metrics`)).text();
    const w2Metrics = await metrics(w2);
    expect(w2Metrics).toMatch(new RegExp(`cb_workflow_executions_started\\{[^}]*nodeID="${id.w2}"[^}]*app="main"[^}]*\\} 5`));
    expect(w2Metrics).toMatch(/cb_workflow_executions_ended\{[^}]*app="main",outcome="resolved"[^}]*\} 5/);
    expect(w2Metrics).toMatch(/cb_workflow_execution_duration_seconds_count\{[^}]*outcome="resolved"[^}]*\} 5/);
    expect(await metrics(w1)).not.toMatch(/cb_workflow_executions_started\{[^}]*app="main"[^}]*\} [1-9]/);
    expect((await readyz(w2)).status).toBe(200);
    expect((await readyz(w1)).body.status).toBe('drained');
    await call('POST', 'cluster:undrain', { node: id.w1 });
    await w1.waitForReady();
    expect((await call('POST', 'cluster:drain', { node: 'no-such-node' })).status).toBe(404);
  });

  test('the CLI prints the nodes, queues, locks and dead letters as tables or JSON, and drains a node', async () => {
    const nodes = await cli(['nodes']);
    expect(nodes.code).toBe(0);
    const lines = nodes.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NODE\s+HOST\s+MODE\s+STATUS\s+WORKER ID/);
    for (const n of [id.r, id.w1, id.w2]) expect(lines.some((l) => l.startsWith(n) && /\bready\b/.test(l))).toBe(true);

    const status = await cli(['status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ healthy: true, problems: [], unreachable: [] });
    expect((await cli(['status'])).stdout).toMatch(/^cluster: ok/);

    const queues = await cli(['queues']);
    expect(queues.stdout).toMatch(/^CHANNEL\s+WAITING\s+OLDEST\s+DELAYED\s+IN FLIGHT\s+DEAD\s+CONSUMERS$/m);
    expect(queues.stdout).toMatch(new RegExp(`^workflow\\.main\\s+\\d+\\s+\\S+\\s+\\d+\\s+\\d+\\s+\\d+\\s+.*${id.w1}=1`, 'm'));
    const held = await lock.acquire('main:cli-test', { ttlMs: 30_000 });
    expect((await cli(['locks'])).stdout).toMatch(new RegExp(`^main:cli-test\\s+\\?\\s+${held.fence}\\s+`, 'm'));
    await lock.release('main:cli-test', held.token);

    await queue.publish('workflow.main', { app: 'main', executionId: 'bad-for-cli' }, { attempts: 1, jobId: 'cli-bad' });
    await until(async () => (await cli(['dead-letters'])).stdout.includes('workflow.main#cli-bad'));
    expect(JSON.parse((await cli(['dead-letters', '--json'])).stdout).deadLetters.map((d: Json) => d.id)).toContain('workflow.main#cli-bad');
    const discard = await cli(['dead-letters', 'discard', 'workflow.main#cli-bad']);
    expect(discard).toMatchObject({ code: 0, stdout: 'discarded 1 of 1\n' });

    expect(await cli(['drain', id.w1])).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^${id.w1}: drained`)) });
    expect((await readyz(w1)).body.status).toBe('drained');
    // A drained node is there on purpose: the cluster is not degraded.
    expect((await cli(['status'])).code).toBe(0);
    expect(await cli(['undrain', id.w1])).toMatchObject({ code: 0, stdout: `${id.w1}: ready\n` });

    const noToken = await cli(['nodes'], '');
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/401 .*CLUSTERBASE_TOKEN/);
    expect((await cli(['drain'])).code).toBe(2);
    expect((await cli(['frobnicate'])).stderr).toMatch(/unknown command "frobnicate"/);
  });

  test('a node that does not answer is listed as unreachable; the others still answer; the CLI exits 1 (degraded)', async () => {
    w2.signal('SIGSTOP');
    try {
      const { status, body } = await call('GET', 'cluster:nodes');
      expect(status).toBe(200);
      expect(body.data.unreachable).toEqual([{ nodeId: id.w2, error: expect.any(String) }]);
      expect((body.data.nodes as Json[]).map((n) => n.nodeId).sort()).toEqual([id.r, id.w1].sort());
      const degraded = await cli(['status']);
      expect(degraded.code).toBe(1);
      expect(degraded.stdout).toMatch(new RegExp(`^cluster: DEGRADED\\n  node ${id.w2} is unreachable`));
    } finally {
      w2.signal('SIGCONT');
    }
  });
});
