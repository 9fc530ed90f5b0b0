import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { clusterEnv } from '../../support/cluster-env';
import { spawnNode, tempStorage, type NodeProcess } from '../../support/node-process';
import { jsonCaller, until, type Json } from '../../support/http';
import { requireServices } from '../../support/services';
import { ROOT_PASSWORD } from '../../support/root';

/**
 * Real processes over NATS, Redis (queue, lock, sync, worker IDs) and PostgreSQL: one request node
 * (`WORKER_MODE=!`) and workflow:process nodes. Exactly-once effects under load and under kill -9,
 * a delay surviving a restart of every node, cancel of a waiting execution, cron once per tick.
 */
describe('workflows across a cluster', () => {
  const schema = uniqueSchema('wfc');
  const namespace = `w${randomBytes(4).toString('hex')}`;
  const storage = tempStorage();
  const env = {
    ...clusterEnv({ schema, namespace, storage, appKey: 'workflow-cluster-shared-app-key-9d15373da30cc8e311e8e149', aesKey: 'a2ce251ee1926bca9d77b10f963b6758315fd924b984b8a7d554981b4409ef52' }),
    WORKFLOW_LEASE: '2',
    WORKFLOW_SWEEP_INTERVAL: '0.5',
    WORKFLOW_QUEUEING_GRACE: '3',
    WORKFLOW_SCHEDULE_TICK: '0.2',
    LOG_LEVEL: 'warn',
  };
  let requests: NodeProcess;
  const workers: NodeProcess[] = [];
  let seq = 0;
  const nodeIds = new Map<NodeProcess, string>();
  const startWorker = async () => {
    const nodeId = `${namespace}-w${seq++}`;
    const node = await spawnNode({ env: { ...env, WORKER_MODE: 'workflow:process', NODE_ID: nodeId } });
    nodeIds.set(node, nodeId);
    await node.waitForReady();
    workers.push(node);
    return node;
  };
  const startRequests = async () => {
    requests = await spawnNode({ env: { ...env, WORKER_MODE: '!', NODE_ID: `${namespace}-r${seq++}` } });
    await requests.waitForReady();
  };
  let token: string;

  const call = jsonCaller(() => `http://127.0.0.1:${requests.appPort}/api/`, () => token);

  /**
   * workflows:execute answers once the run ends or WORKFLOW_SYNC_TIMEOUT passes (as NocoBase's
   * manual execute): for a long run, send it without waiting and find the execution it started.
   */
  const startExecution = async (workflowId: number): Promise<{ id: number; answered: Promise<unknown> }> => {
    const answered = call('POST', `workflows:execute?filterByTk=${workflowId}`, {});
    const id = await until(async () => (await call('GET', `executions:list?filter[workflowId]=${workflowId}&pageSize=1`)).body.data?.[0]?.id as number | undefined);
    return { id, answered };
  };
  const count = async (path: string) => (await call('GET', `${path}${path.includes('?') ? '&' : '?'}pageSize=1`)).body.meta.count as number;
  const createProducts = async (n: number, from: number, onProgress?: (done: number) => void) => {
    let next = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) {
          const i = next++;
          const res = await call('POST', 'products:create', { title: `p${from + i}`, price: 2.5, qty: 4 });
          expect(res.status).toBe(200);
          onProgress?.(++done);
        }
      }),
    );
  };
  let workflowId: number;

  beforeAll(async () => {
    await requireServices('postgres', 'redis', 'nats');
    await startRequests();
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token;
    await Promise.all([startWorker(), startWorker()]);
    for (const c of [
      { name: 'products', fields: [{ name: 'title', type: 'string' }, { name: 'price', type: 'double' }, { name: 'qty', type: 'integer' }] },
      { name: 'audit', fields: [{ name: 'productId', type: 'bigInt' }, { name: 'note', type: 'string' }] },
    ]) {
      expect((await call('POST', 'collections:create', c)).status).toBe(200);
    }
    workflowId = (await call('POST', 'workflows:create', { title: 'audit', type: 'collection', config: { mode: 1, collection: 'products' } })).body.data.id;
    const add = async (body: Record<string, unknown>) => (await call('POST', `workflows/${workflowId}/nodes:create`, body)).body.data;
    const cond = await add({ type: 'condition', upstreamId: null, config: { rejectOnFalse: true, calculation: { group: { type: 'and', calculations: [{ calculator: 'gte', operands: ['{{$context.data.price}}', 0] }] } } } });
    const create = await add({ type: 'create', upstreamId: cond.id, config: { collection: 'audit', params: { values: { productId: '{{$context.data.id}}', note: 'created' } } } });
    const calc = await add({ type: 'calculation', upstreamId: create.id, config: { engine: 'math.js', expression: '{{$context.data.price}} * {{$context.data.qty}}' } });
    await add({ type: 'update', upstreamId: calc.id, config: { collection: 'audit', params: { filter: { id: { $eq: `{{$jobsMapByNodeKey.${create.key}.id}}` } }, values: { note: `total={{$jobsMapByNodeKey.${calc.key}}}` } } } });
    expect((await call('POST', `workflows:update?filterByTk=${workflowId}`, { enabled: true })).status).toBe(200);
  });

  afterAll(async () => {
    await Promise.all([requests?.stop(), ...workers.map((w) => w.stop())]);
    await dropSchemas(schema);
  });

  const resolvedAndEffects = async (n: number) => {
    await until(async () => (await count(`executions:list?filter[workflowId]=${workflowId}&filter[status]=1`)) >= n);
    expect(await count(`executions:list?filter[workflowId]=${workflowId}`)).toBe(n);
    expect(await count(`executions:list?filter[workflowId]=${workflowId}&filter[status]=1`)).toBe(n);
    expect(await count('audit:list')).toBe(n);
    expect(await count('audit:list?filter[note]=total=10')).toBe(n);
  };

  test('500 creations → exactly 500 RESOLVED executions and 500 effect rows, on the two workflow nodes', async () => {
    await createProducts(500, 0);
    await resolvedAndEffects(500);
  });

  test('kill -9 of a workflow node halfway: still exactly one execution and one effect per record', async () => {
    const victim = workers[0]!;
    let killed = false;
    await createProducts(500, 500, (done) => {
      if (done === 250 && !killed) {
        killed = true;
        victim.signal('SIGKILL');
      }
    });
    await victim.exited;
    workers.splice(workers.indexOf(victim), 1);
    await resolvedAndEffects(1000);
    await startWorker();
  });

  test('a worker paused mid-execution loses it: another resumes from the last committed job, the paused one cannot commit after waking', async () => {
    const wf = (await call('POST', 'workflows:create', { title: 'long loop', type: 'schedule', config: { mode: 0 } })).body.data;
    const loop = (await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'loop', upstreamId: null, config: { target: 300 } })).body.data;
    await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'create', upstreamId: loop.id, branchIndex: 0, config: { collection: 'audit', params: { values: { note: `loop {{$scopes.${loop.key}.item}}` } } } });
    const { id } = await startExecution(wf.id);
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      const owner = await until(async () => {
        const row = (await db.query(`select "cb_lease_owner" as o, (select count(*) from "${schema}"."jobs" where "executionId" = $1)::int as n from "${schema}"."executions" where "id" = $1`, [id])).rows[0];
        return row?.o && row.n > 20 ? (row.o as string) : undefined;
      });
      const victim = workers.find((w) => nodeIds.get(w) === owner)!;
      expect(victim).toBeDefined();
      victim.signal('SIGSTOP');
      let takenOver: { o: string | null; s: number | null };
      try {
        takenOver = await until(async () => {
          const row = (await db.query(`select "cb_lease_owner" as o, "status" as s from "${schema}"."executions" where "id" = $1`, [id])).rows[0];
          return (row.o && row.o !== owner) || row.s === 1 ? row : undefined;
        });
      } finally {
        victim.signal('SIGCONT');
      }
      const done = await until(async () => {
        const e = (await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`)).body.data;
        return e.status === 1 ? e : undefined;
      });
      expect(takenOver).toBeTruthy();
      expect(done.jobs).toHaveLength(301);
      expect(await count('audit:list?filter[note.$startsWith]=loop ')).toBe(300);
      const distinct = (await db.query(`select count(distinct "note")::int as n from "${schema}"."audit" where "note" like 'loop %'`)).rows[0].n;
      expect(distinct).toBe(300);
    } finally {
      await db.end();
    }
  });

  test('cancel stops a waiting (delay) execution: it stays ABORTED and its next node never runs', async () => {
    const wf = (await call('POST', 'workflows:create', { title: 'long', type: 'schedule', config: { mode: 0 } })).body.data;
    const wait = (await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'delay', upstreamId: null, config: { duration: 1, unit: 1000, endStatus: 1 } })).body.data;
    await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'create', upstreamId: wait.id, config: { collection: 'audit', params: { values: { note: 'after cancelled delay' } } } });
    const id = (await call('POST', `workflows:execute?filterByTk=${wf.id}`, {})).body.data.execution.id;
    await until(async () => (await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`)).body.data.jobs.length === 1);
    expect((await call('POST', `executions:cancel?filterByTk=${id}`)).body.data).toMatchObject({ status: -3, reason: 'manual_cancel' });
    // Past the delay and several sweeps: the parked message and the sweep find it ABORTED.
    await new Promise((r) => setTimeout(r, 3_000));
    const after = (await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`)).body.data;
    expect(after.status).toBe(-3);
    expect(after.jobs.map((j: Json) => j.status)).toEqual([-3]);
    expect(await count('audit:list?filter[note]=after cancelled delay')).toBe(0);
  });

  test('cancel reaches the node running a long execution: it stops at the next node, every committed job kept its effect', async () => {
    const wf = (await call('POST', 'workflows:create', { title: 'cancel me', type: 'schedule', config: { mode: 0 } })).body.data;
    const loop = (await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'loop', upstreamId: null, config: { target: 2000 } })).body.data;
    await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'create', upstreamId: loop.id, branchIndex: 0, config: { collection: 'audit', params: { values: { note: 'cancel-loop' } } } });
    const { id } = await startExecution(wf.id);
    await until(async () => (await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`)).body.data.jobs.length > 20);
    expect((await call('POST', `executions:cancel?filterByTk=${id}`)).body.data).toMatchObject({ status: -3, reason: 'manual_cancel' });
    const settled = async () => (await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`)).body.data.jobs.length as number;
    // Stopped: the journal stops growing (two reads a sweep interval apart agree).
    let before = await settled();
    for (;;) {
      await new Promise((r) => setTimeout(r, 600));
      const now = await settled();
      if (now === before) break;
      before = now;
    }
    const done = (await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`)).body.data;
    expect(done.status).toBe(-3);
    const created = done.jobs.filter((j: Json) => j.nodeId !== loop.id);
    expect(created.length).toBeLessThan(2000);
    expect(await count('audit:list?filter[note]=cancel-loop')).toBe(created.length);
  });

  test('a delay survives a restart of every node', async () => {
    const wf = (await call('POST', 'workflows:create', { title: 'durable', type: 'schedule', config: { mode: 0 } })).body.data;
    const wait = (await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'delay', upstreamId: null, config: { duration: 3, unit: 1000, endStatus: 1 } })).body.data;
    await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'create', upstreamId: wait.id, config: { collection: 'audit', params: { values: { note: 'after restart' } } } });
    const id = (await call('POST', `workflows:execute?filterByTk=${wf.id}`, {})).body.data.execution.id;
    await until(async () => (await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`)).body.data.jobs.length === 1);
    await Promise.all([requests.stop(), ...workers.splice(0).map((w) => w.stop())]);
    await startRequests();
    await Promise.all([startWorker(), startWorker()]);
    const done = await until(async () => {
      const e = (await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`)).body.data;
      return e.status === 1 ? e : undefined;
    });
    expect(done.jobs.map((j: Json) => j.status)).toEqual([1, 1]);
    expect(await count('audit:list?filter[note]=after restart')).toBe(1);
  });

  test('a cron schedule on three workflow nodes fires once per tick, for several ticks', async () => {
    while (workers.length < 3) await startWorker();
    const wf = (await call('POST', 'workflows:create', { title: 'every second', type: 'schedule', config: { mode: 0, startsOn: new Date(Date.now() - 60_000).toISOString(), repeat: '* * * * * *' } })).body.data;
    await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'create', upstreamId: null, config: { collection: 'audit', params: { values: { note: 'tick {{$context.date}}' } } } });
    expect((await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: true })).status).toBe(200);
    await until(async () => (await count(`executions:list?filter[workflowId]=${wf.id}&filter[status]=1`)) >= 5);
    await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: false });
    const executions = await until(async () => {
      const list = (await call('GET', `executions:list?filter[workflowId]=${wf.id}&paginate=false&sort=id`)).body.data as Json[];
      return list.every((e) => e.status === 1) ? list : undefined;
    });
    const ticks = executions.map((e) => Date.parse(e.eventKey.split('@')[1])).sort((x, y) => x - y);
    expect(new Set(ticks).size).toBe(ticks.length);
    for (let i = 1; i < ticks.length; i += 1) expect(ticks[i]! - ticks[i - 1]!).toBe(1000);
    expect(executions.every((e) => e.eventKey === `${wf.id}@${new Date(Date.parse(e.eventKey.split('@')[1])).toISOString()}`)).toBe(true);
    expect(await count(`audit:list?filter[note.$startsWith]=tick`)).toBe(executions.length);
  });
});
