import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import WorkflowApiService = require('../../../services/workflow-api.service');
import WorkflowService = require('../../../services/workflow.service');
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { hashPassword } from '../../../shared/auth';
import { appsOf } from '../../../services/support/apps';
import { Leases, StaleLeaseError } from '../../../shared/workflow/engine/lease';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { jsonCaller, until, type Json } from '../../support/http';
import { requireServices } from '../../support/services';

/**
 * The workflow API on an all-in-one node (requests + workflow:process, in-process adapters), following
 * NocoBase's recorded samples (reference part B §1): shapes, status codes, validation messages, the
 * four-node example with its job results, immutability and revisions, manual execute, delay + cancel,
 * and a sync workflow rejecting a create.
 */
describe('workflows API (NocoBase samples)', () => {
  const schema = uniqueSchema('wf');
  let broker: ServiceBroker;
  let base: string;
  let token: string;

  const request = jsonCaller(() => `${base}/`, () => token);
  /** `auth: false` sends no token. */
  const call = (method: string, path: string, body?: unknown, auth = true) => request(method, path, body, auth ? token : '');
  const finished = (id: number) =>
    until(async () => {
      const e = (await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs&except[]=context`)).body.data;
      return e && e.status !== null && e.status !== 0 ? e : undefined;
    });

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, WorkflowApiService, WorkflowService], {
      APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde',
      WORKFLOW_SWEEP_INTERVAL: '60', // the fencing test claims by hand: no sweep in between
      WORKFLOW_QUEUEING_GRACE: '1',
      WORKFLOW_SYNC_TIMEOUT: '5',
      WORKFLOW_SCHEDULE_TICK: '0.2',
      WORKFLOW_REQUEST_ALLOW: '127.0.0.1', // the request-node test calls a server on loopback
    });
    broker = node.broker;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' }, false)).body.data.token;
    for (const c of [
      { name: 'products', fields: [{ name: 'title', type: 'string' }, { name: 'price', type: 'double' }, { name: 'qty', type: 'integer' }, { name: 'active', type: 'boolean' }, { name: 'notes', type: 'string' }] },
      { name: 'audit', fields: [{ name: 'productId', type: 'bigInt' }, { name: 'note', type: 'string' }] },
    ]) {
      expect((await call('POST', 'collections:create', c)).status).toBe(200);
    }
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  let workflowId: number;
  const keys: Record<string, string> = {};

  test('workflows:create answers NocoBase’s shape; bad input is a 400 with its messages', async () => {
    const created = await call('POST', 'workflows:create', {
      title: 'products created -> audit', type: 'collection', sync: false, enabled: false,
      config: { mode: 1, collection: 'products', appends: [], condition: { $and: [] } },
    });
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({
      invalid: false, executed: 0, allExecuted: 0, options: { timeout: 0 }, title: 'products created -> audit', type: 'collection',
      sync: false, enabled: false, current: true, description: null, triggerTitle: null, config: { mode: 1, collection: 'products' },
    });
    expect(typeof created.body.data.key).toBe('string');
    workflowId = created.body.data.id;

    const badCollection = await call('POST', 'workflows:create', { title: 'bad', type: 'collection', sync: false, config: { mode: 3, collection: 'nope_coll' } });
    expect(badCollection).toMatchObject({ status: 400, body: { errors: [{ message: 'Collection "nope_coll" does not exist in data source "main"' }] } });
    const badType = await call('POST', 'workflows:create', { title: 'bad', type: 'nope', config: {} });
    expect(badType).toMatchObject({ status: 400, body: { errors: [{ message: 'Trigger type "nope" is not registered' }] } });
    const badMode = await call('POST', 'workflows:create', { title: 'bad', type: 'schedule', config: { mode: 7 } });
    expect(badMode).toMatchObject({ status: 400, body: { errors: [{ message: '"mode" must be one of [0, 1]' }] } });
  });

  test('the four nodes of §1.4 are chained by the server; enabling answers an array', async () => {
    const add = async (body: Record<string, unknown>) => {
      const res = await call('POST', `workflows/${workflowId}/nodes:create`, body);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ type: body.type, workflowId, downstreamId: null });
      return res.body.data as { id: number; key: string };
    };
    const cond = await add({ type: 'condition', title: 'price >= 0', upstreamId: null, branchIndex: null, config: { rejectOnFalse: true, engine: 'basic', calculation: { group: { type: 'and', calculations: [{ calculator: 'gte', operands: ['{{$context.data.price}}', 0] }] } } } });
    const create = await add({ type: 'create', title: 'insert audit', upstreamId: cond.id, branchIndex: null, config: { collection: 'audit', params: { values: { productId: '{{$context.data.id}}', note: 'created {{$context.data.title}} price={{$context.data.price}}' }, appends: [] } } });
    const calc = await add({ type: 'calculation', title: 'total', upstreamId: create.id, branchIndex: null, config: { engine: 'math.js', expression: '{{$context.data.price}} * {{$context.data.qty}}' } });
    const update = await add({ type: 'update', title: 'write total into audit.note', upstreamId: calc.id, branchIndex: null, config: { collection: 'audit', params: { individualHooks: false, filter: { $and: [{ id: { $eq: `{{$jobsMapByNodeKey.${create.key}.id}}` } }] }, values: { note: `total={{$jobsMapByNodeKey.${calc.key}}}` } } } });
    Object.assign(keys, { cond: cond.key, create: create.key, calc: calc.key, update: update.key });

    expect(await call('POST', `workflows/${workflowId}/nodes:create`, { type: 'nope', config: {} })).toMatchObject({ status: 400, body: { errors: [{ message: 'Node type "nope" is not registered' }] } });
    expect(await call('POST', `workflows/${workflowId}/nodes:create`, { type: 'create', config: { params: {} } })).toMatchObject({ status: 400, body: { errors: [{ message: 'Collection is not configured' }] } });

    const enabled = await call('POST', `workflows:update?filterByTk=${workflowId}`, { enabled: true });
    expect(enabled.status).toBe(200);
    expect(enabled.body.data).toEqual([expect.objectContaining({ id: workflowId, enabled: true })]);

    const got = (await call('GET', `workflows:get?filterByTk=${workflowId}&appends[]=nodes&appends[]=stats&appends[]=versionStats`)).body.data;
    const byId = new Map<number, Json>(got.nodes.map((n: Json) => [n.id, n]));
    const order: string[] = [];
    for (let n = got.nodes.find((x: Json) => x.upstreamId === null); n; n = byId.get(n.downstreamId)) order.push(n.type);
    expect(order).toEqual(['condition', 'create', 'calculation', 'update']);
    expect(got.stats).toMatchObject({ executed: 0 });
  });

  test('creating products runs the workflow: condition true, create → record, calculation 50, update 1; a negative price fails', async () => {
    const a = (await call('POST', 'products:create', { title: 'wf-test A', price: 12.5, qty: 4, active: true, notes: 'workflow probe' })).body.data;
    const neg = (await call('POST', 'products:create', { title: 'wf-test NEG', price: -1, qty: 2, active: false })).body.data;
    const list = await until(async () => {
      const l = (await call('GET', `executions:list?filter[workflowId]=${workflowId}&sort=-id&pageSize=10`)).body;
      return l.data?.length === 2 && l.data.every((e: Json) => e.status !== null && e.status !== 0) ? l : undefined;
    });
    expect(list.meta).toEqual({ count: 2, page: 1, pageSize: 10, totalPage: 1 });
    const ok = list.data.find((e: Json) => e.context.data.id === a.id);
    const bad = list.data.find((e: Json) => e.context.data.id === neg.id);
    expect(ok).toMatchObject({ workflowId, status: 1, reason: null, dispatched: true, manually: null, context: { data: { title: 'wf-test A', price: 12.5 } } });
    expect(Object.keys(ok).filter((k) => k.startsWith('cb_'))).toEqual([]);

    const done = (await call('GET', `executions:get?filterByTk=${ok.id}&appends[]=jobs&except[]=context`)).body.data;
    expect(done.context).toBeUndefined();
    expect(done.jobs.map((j: Json) => [j.nodeKey, j.status])).toEqual([[keys.cond, 1], [keys.create, 1], [keys.calc, 1], [keys.update, 1]]);
    expect(done.jobs[0].result).toBe(true);
    expect(done.jobs[1].result).toMatchObject({ productId: a.id, note: 'created wf-test A price=12.5' });
    expect(done.jobs[2].result).toBe(50);
    expect(done.jobs[3].result).toBe(1);
    // The job chain: each job names the job of the node before it (NocoBase leaves this null).
    expect(done.jobs.map((j: Json) => j.upstreamId)).toEqual([null, done.jobs[0].id, done.jobs[1].id, done.jobs[2].id]);

    const failed = (await call('GET', `executions:get?filterByTk=${bad.id}&appends[]=jobs&except[]=context`)).body.data;
    expect(failed).toMatchObject({ status: -1, jobs: [{ nodeKey: keys.cond, status: -1, result: false }] });

    const audit = (await call('GET', 'audit:list?sort=-id')).body.data;
    expect(audit).toEqual([expect.objectContaining({ productId: a.id, note: 'total=50' })]);
    expect((await call('GET', `jobs:get?filterByTk=${done.jobs[2].id}`)).body.data).toMatchObject({ id: done.jobs[2].id, executionId: ok.id, result: 50, status: 1 });
  });

  test('update (mode 2, with a condition) and destroy (mode 4) triggers fire for matching writes only', async () => {
    const onUpdate = (await call('POST', 'workflows:create', { title: 'big qty', type: 'collection', enabled: true, config: { mode: 2, collection: 'products', condition: { qty: { $gt: 10 } } } })).body.data;
    const onDestroy = (await call('POST', 'workflows:create', { title: 'gone', type: 'collection', enabled: true, config: { mode: 4, collection: 'products' } })).body.data;
    const p = (await call('POST', 'products:create', { title: 'triggers', price: 1, qty: 1 })).body.data;
    await call('POST', `products:update?filterByTk=${p.id}`, { qty: 5 });
    await call('POST', `products:update?filterByTk=${p.id}`, { qty: 50 });
    await call('POST', `products:destroy?filterByTk=${p.id}`);
    const updates = await until(async () => {
      const l = (await call('GET', `executions:list?filter[workflowId]=${onUpdate.id}`)).body.data;
      return l.length === 1 && l[0].status === 1 ? l : undefined;
    });
    expect(updates[0].context.data).toMatchObject({ id: p.id, qty: 50 });
    const destroys = await until(async () => {
      const l = (await call('GET', `executions:list?filter[workflowId]=${onDestroy.id}`)).body.data;
      return l.length === 1 && l[0].status === 1 ? l : undefined;
    });
    expect(destroys[0].context.data).toMatchObject({ id: p.id, title: 'triggers' });
    expect((await call('GET', `executions:list?filter[workflowId]=${onUpdate.id}`)).body.data).toHaveLength(1);
    for (const wf of [onUpdate, onDestroy]) await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: false });
  });

  test('an update trigger with `changed` fires only for writes that set one of those fields', async () => {
    const onPrice = (await call('POST', 'workflows:create', { title: 'price changed', type: 'collection', enabled: true, config: { mode: 2, collection: 'products', changed: ['price'] } })).body.data;
    const p = (await call('POST', 'products:create', { title: 'changed', price: 1, qty: 1 })).body.data;
    await call('POST', `products:update?filterByTk=${p.id}`, { qty: 2 }); // price not set: no execution
    await call('POST', `products:update?filterByTk=${p.id}`, { price: 3 });
    await call('POST', 'products:update?filter[title]=changed', { title: 'changed', qty: 4 }); // by filter, price not set
    const runs = await until(async () => {
      const l = (await call('GET', `executions:list?filter[workflowId]=${onPrice.id}`)).body.data;
      return l.length >= 1 && l.every((e: Json) => e.status === 1) ? l : undefined;
    });
    // The later qty-only update by filter was committed before this read, and its hook runs in its
    // transaction: had it fired, its execution row would be listed here.
    expect(runs.map((e: Json) => e.context.data.price)).toEqual([3]);
    await call('POST', `workflows:update?filterByTk=${onPrice.id}`, { enabled: false });
  });

  test('an executed workflow is immutable; workflows:revision makes a new version with the same key', async () => {
    expect(await call('POST', `workflows:update?filterByTk=${workflowId}`, { config: { mode: 3, collection: 'products' } })).toMatchObject({
      status: 400, body: { errors: [{ message: 'config of executed workflow can not be updated' }] },
    });
    const nodes = (await call('GET', `workflows:get?filterByTk=${workflowId}&appends[]=nodes`)).body.data.nodes;
    const tail = nodes.find((n: Json) => n.downstreamId === null);
    expect(await call('POST', `workflows/${workflowId}/nodes:create`, { type: 'end', upstreamId: tail.id, config: { endStatus: 1 } })).toMatchObject({
      status: 400, body: { errors: [{ message: 'Node could not be created in executed workflow' }] },
    });
    const calc = nodes.find((n: Json) => n.type === 'calculation');
    expect(await call('POST', `flow_nodes:update?filterByTk=${calc.id}`, { config: { engine: 'math.js', expression: '1+1' } })).toMatchObject({
      status: 400, body: { errors: [{ message: 'Nodes in executed workflow could not be reconfigured' }] },
    });
    const original = (await call('GET', `workflows:get?filterByTk=${workflowId}`)).body.data;
    const revision = await call('POST', `workflows:revision?filterByTk=${workflowId}&filter[key]=${original.key}`, { current: false });
    expect(revision.status).toBe(200);
    expect(revision.body.data).toMatchObject({ key: original.key, current: false, enabled: false, executed: 0, createdById: null });
    const copy = (await call('GET', `workflows:get?filterByTk=${revision.body.data.id}&appends[]=nodes`)).body.data;
    expect(copy.nodes.map((n: Json) => n.key).sort()).toEqual(nodes.map((n: Json) => n.key).sort());
    const versions = (await call('GET', `workflows:list?filter[key]=${original.key}&fields[]=id&fields[]=current&sort=id`)).body.data;
    expect(versions).toEqual([{ id: workflowId, current: true }, { id: revision.body.data.id, current: false }]);
  });

  test('workflows:execute runs by hand (manually: true); an empty body or an unknown id is refused', async () => {
    const product = (await call('GET', 'products:list?sort=id&pageSize=1')).body.data[0];
    const run = await call('POST', `workflows:execute?filterByTk=${workflowId}`, { data: product.id });
    expect(run.status).toBe(200);
    // As NocoBase, the answer waits (bounded) for the run and carries its final status.
    expect(run.body.data.execution).toEqual({ id: expect.any(Number), status: 1 });
    expect(await finished(run.body.data.execution.id)).toMatchObject({ status: 1, manually: true });
    expect((await call('POST', `workflows:execute?filterByTk=${workflowId}`, {})).status).toBe(400);
    expect(await call('POST', 'workflows:execute?filterByTk=123', { data: 1 })).toMatchObject({ status: 404, body: { errors: [{ message: 'workflow not found' }] } });
  });

  test('a delay keeps the execution STARTED with a PENDING job; cancel aborts both (-3, manual_cancel)', async () => {
    const wf = (await call('POST', 'workflows:create', { title: 'delay probe', type: 'schedule', sync: false, enabled: false, config: { mode: 0, startsOn: '2030-01-01T00:00:00.000Z' } })).body.data;
    const node = (await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'delay', title: 'wait 10 min', upstreamId: null, config: { duration: 10, unit: 60000, endStatus: 1 } })).body.data;
    const id = (await call('POST', `workflows:execute?filterByTk=${wf.id}`, {})).body.data.execution.id;
    const waiting = await until(async () => {
      const e = (await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`)).body.data;
      return e.status === 0 && e.jobs.length === 1 ? e : undefined;
    });
    expect(waiting.context).toEqual({ date: expect.any(String) });
    expect(waiting.jobs[0]).toMatchObject({ nodeId: node.id, status: 0, result: 600000 });
    const cancelled = await call('POST', `executions:cancel?filterByTk=${id}`);
    expect(cancelled).toMatchObject({ status: 200, body: { data: { id, status: -3, reason: 'manual_cancel' } } });
    expect((await call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`)).body.data.jobs[0].status).toBe(-3);
    expect(await call('POST', `executions:cancel?filterByTk=${id}`)).toMatchObject({ status: 400, body: { errors: [{ message: 'Bad Request' }] } });
    expect((await call('POST', `executions:destroy?filterByTk=${id}`)).body.data).toBe(1);
  });

  test('a sync workflow that fails turns the create into a 400 and rolls it back', async () => {
    const wf = (await call('POST', 'workflows:create', { title: 'price cap', type: 'collection', sync: true, enabled: false, config: { mode: 1, collection: 'products' } })).body.data;
    await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'condition', upstreamId: null, config: { rejectOnFalse: true, engine: 'basic', calculation: { group: { type: 'and', calculations: [{ calculator: 'lt', operands: ['{{$context.data.price}}', 1000] }] } } } });
    await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: true });
    const before = (await call('GET', 'products:count')).body.data;
    const refused = await call('POST', 'products:create', { title: 'too expensive', price: 5000, qty: 1 });
    expect(refused.status).toBe(400);
    expect(refused.body.errors![0]!.code).toBe('CB_ERR_WORKFLOW_REJECTED');
    expect((await call('GET', 'products:count')).body.data).toBe(before);
    const accepted = await call('POST', 'products:create', { title: 'cheap', price: 5, qty: 1 });
    expect(accepted.status).toBe(200);
    expect((await call('GET', `executions:list?filter[workflowId]=${wf.id}`)).body.data).toEqual([expect.objectContaining({ status: 1 })]);
    await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: false });

    // A sync workflow cannot wait: a delay node in it rejects the request instead of hanging it.
    const waits = (await call('POST', 'workflows:create', { title: 'sync wait', type: 'collection', sync: true, config: { mode: 1, collection: 'audit' } })).body.data;
    await call('POST', `workflows/${waits.id}/nodes:create`, { type: 'delay', upstreamId: null, config: { duration: 1, unit: 1000 } });
    await call('POST', `workflows:update?filterByTk=${waits.id}`, { enabled: true });
    const rejected = await call('POST', 'audit:create', { note: 'sync-wait' });
    expect(rejected).toMatchObject({ status: 400, body: { errors: [{ code: 'CB_ERR_WORKFLOW_REJECTED' }] } });
    expect((await call('GET', 'audit:count?filter[note]=sync-wait')).body.data).toBe(0);
    await call('POST', `workflows:update?filterByTk=${waits.id}`, { enabled: false });
  });

  test('loop, multi-conditions and end run with $scopes and branch results', async () => {
    const wf = (await call('POST', 'workflows:create', { title: 'flow', type: 'schedule', config: { mode: 0 } })).body.data;
    const add = async (body: Record<string, unknown>) => (await call('POST', `workflows/${wf.id}/nodes:create`, body)).body.data;
    const loop = await add({ type: 'loop', upstreamId: null, config: { target: '{{$context.items}}' } });
    const inLoop = await add({ type: 'calculation', upstreamId: loop.id, branchIndex: 0, config: { engine: 'math.js', expression: `{{$scopes.${loop.key}.item}} * 2` } });
    const multi = await add({ type: 'multi-conditions', upstreamId: loop.id, config: { conditions: [{ engine: 'math.js', expression: '1 > 2' }, { engine: 'math.js', expression: '2 > 1' }] } });
    const second = await add({ type: 'calculation', upstreamId: multi.id, branchIndex: 2, config: { engine: 'math.js', expression: '7' } });
    const end = await add({ type: 'end', upstreamId: multi.id, config: { endStatus: -1 } });
    const after = await add({ type: 'calculation', upstreamId: end.id, config: { engine: 'math.js', expression: '1' } });
    const id = (await call('POST', `workflows:execute?filterByTk=${wf.id}`, { items: [1, 2, 3] })).body.data.execution.id;
    const done = await finished(id);
    expect(done.status).toBe(-1);
    const jobs = done.jobs.map((j: Json) => [j.nodeId, j.result]);
    expect(jobs).toEqual([[loop.id, 3], [inLoop.id, 2], [inLoop.id, 4], [inLoop.id, 6], [multi.id, 2], [second.id, 7], [end.id, null]]);
    expect(jobs.find((j: Json) => j[0] === after.id)).toBeUndefined();
  });

  test('parallel runs every branch (mode all), then the main line continues', async () => {
    const wf = (await call('POST', 'workflows:create', { title: 'parallel', type: 'schedule', config: { mode: 0 } })).body.data;
    const add = async (body: Record<string, unknown>) => (await call('POST', `workflows/${wf.id}/nodes:create`, body)).body.data;
    const par = await add({ type: 'parallel', upstreamId: null, config: { mode: 'all' } });
    const b1 = await add({ type: 'calculation', upstreamId: par.id, branchIndex: 0, config: { engine: 'formula.js', expression: 'SUM(1, 2)' } });
    const b2 = await add({ type: 'calculation', upstreamId: par.id, branchIndex: 1, config: { engine: 'math.js', expression: '10 / 4' } });
    const next = await add({ type: 'calculation', upstreamId: par.id, config: { engine: 'math.js', expression: `{{$jobsMapByNodeKey.${b1.key}}} + {{$jobsMapByNodeKey.${b2.key}}}` } });
    const id = (await call('POST', `workflows:execute?filterByTk=${wf.id}`, {})).body.data.execution.id;
    const done = await finished(id);
    expect(done.status).toBe(1);
    expect(done.jobs.map((j: Json) => [j.nodeId, j.status, j.result])).toEqual([[par.id, 1, [1, 1]], [b1.id, 1, 3], [b2.id, 1, 2.5], [next.id, 1, 5.5]]);
  });

  test('executions:rerun re-runs a failed execution from the failed node; committed steps are not repeated', async () => {
    const wf = (await call('POST', 'workflows:create', { title: 'rerun', type: 'schedule', config: { mode: 0 } })).body.data;
    const create = (await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'create', upstreamId: null, config: { collection: 'audit', params: { values: { note: 'rerun-step-1' } } } })).body.data;
    const query = (await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'query', upstreamId: create.id, config: { collection: 'audit', failOnEmpty: true, params: { filter: { note: 'rerun-marker' } } } })).body.data;
    const id = (await call('POST', `workflows:execute?filterByTk=${wf.id}`, {})).body.data.execution.id;
    expect(await finished(id)).toMatchObject({ status: -1, jobs: [{ nodeId: create.id, status: 1 }, { nodeId: query.id, status: -1, result: null }] });
    expect((await call('POST', 'audit:create', { note: 'rerun-marker' })).status).toBe(200);
    expect((await call('POST', `executions:rerun?filterByTk=${id}`)).status).toBe(200);
    const done = await finished(id);
    expect(done.status).toBe(1);
    expect(done.jobs.map((j: Json) => [j.nodeId, j.status])).toEqual([[create.id, 1], [query.id, 1]]);
    expect(done.jobs[1].result).toMatchObject({ note: 'rerun-marker' });
    expect((await call('GET', 'audit:count?filter[note]=rerun-step-1')).body.data).toBe(1);
    expect((await call('POST', `executions:rerun?filterByTk=${id}`)).status).toBe(400);
  });

  test('a node that throws after other database nodes: their effects are kept once, the node gets an ERROR job with the message', async () => {
    const wf = (await call('POST', 'workflows:create', { title: 'throws late', type: 'schedule', config: { mode: 0 } })).body.data;
    const add = async (body: Json) => (await call('POST', `workflows/${wf.id}/nodes:create`, body)).body.data;
    const first = await add({ type: 'create', upstreamId: null, config: { collection: 'audit', params: { values: { note: 'throws-late-1' } } } });
    const calc = await add({ type: 'calculation', upstreamId: first.id, config: { engine: 'math.js', expression: '2 * 3' } });
    const bad = await add({ type: 'create', upstreamId: calc.id, config: { collection: 'audit', params: { values: { note: 'throws-late-2', noSuchField: 1 } } } });
    const id = (await call('POST', `workflows:execute?filterByTk=${wf.id}`, {})).body.data.execution.id;
    const done = await finished(id);
    expect(done.status).toBe(-2);
    expect(done.jobs.map((j: Json) => [j.nodeId, j.status])).toEqual([[first.id, 1], [calc.id, 1], [bad.id, -2]]);
    expect(done.jobs[2].result).toMatchObject({ message: expect.stringContaining('noSuchField') });
    expect((await call('GET', 'audit:count?filter[note]=throws-late-1')).body.data).toBe(1);
    expect((await call('GET', 'audit:count?filter[note]=throws-late-2')).body.data).toBe(0);
  });

  test('a date-field schedule (mode 1) fires once for a record when its date comes', async () => {
    expect((await call('POST', 'collections:create', { name: 'reminders', fields: [{ name: 'title', type: 'string' }, { name: 'dueAt', type: 'datetime' }] })).status).toBe(200);
    const wf = (await call('POST', 'workflows:create', { title: 'reminder', type: 'schedule', enabled: true, config: { mode: 1, collection: 'reminders', startsOn: { field: 'dueAt', offset: 0 } } })).body.data;
    await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'calculation', upstreamId: null, config: { engine: 'math.js', expression: '1 + 1' } });
    const due = new Date(Date.now() + 1_000).toISOString();
    const reminder = (await call('POST', 'reminders:create', { title: 'call back', dueAt: due })).body.data;
    const [execution] = await until(async () => {
      const list = (await call('GET', `executions:list?filter[workflowId]=${wf.id}`)).body.data;
      return list.length > 0 && list[0].status === 1 ? list : undefined;
    });
    expect(execution).toMatchObject({ eventKey: `${wf.id}:${reminder.id}@${due}`, context: { data: { id: reminder.id, title: 'call back' }, date: due } });
    await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: false });
    expect((await call('GET', `executions:list?filter[workflowId]=${wf.id}`)).body.data).toHaveLength(1);
  });

  test('a request node calls HTTP with an Idempotency-Key; its response feeds later nodes; a 500 fails the job', async () => {
    const seen: Array<{ key: string | undefined; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ key: req.headers['idempotency-key'] as string | undefined, body });
        if (req.url === '/fail') {
          res.writeHead(500).end('no');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ doubled: JSON.parse(body).n * 2 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const wf = (await call('POST', 'workflows:create', { title: 'http', type: 'schedule', config: { mode: 0 } })).body.data;
      const req = (await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'request', upstreamId: null, config: { method: 'POST', url: `${url}/double`, data: { n: '{{$context.n}}' }, onlyData: true } })).body.data;
      const calc = (await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'calculation', upstreamId: req.id, config: { engine: 'math.js', expression: `{{$jobsMapByNodeKey.${req.key}.doubled}} + 1` } })).body.data;
      const id = (await call('POST', `workflows:execute?filterByTk=${wf.id}`, { n: 20 })).body.data.execution.id;
      const done = await finished(id);
      expect(done.status).toBe(1);
      expect(done.jobs.map((j: Json) => [j.nodeId, j.result])).toEqual([[req.id, { doubled: 40 }], [calc.id, 41]]);
      expect(seen[0]).toEqual({ key: `${id}:${req.id}:0`, body: JSON.stringify({ n: 20 }) });

      const bad = (await call('POST', 'workflows:create', { title: 'http fail', type: 'schedule', config: { mode: 0 } })).body.data;
      await call('POST', `workflows/${bad.id}/nodes:create`, { type: 'request', upstreamId: null, config: { method: 'GET', url: `${url}/fail` } });
      const failed = await finished((await call('POST', `workflows:execute?filterByTk=${bad.id}`, {})).body.data.execution.id);
      expect(failed).toMatchObject({ status: -1, jobs: [{ status: -1, result: expect.objectContaining({ status: 500 }) }] });
    } finally {
      server.close();
    }
  });

  test('workflow resources are for admins: a member gets 403, no token 401', async () => {
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    await db.query(`insert into "${schema}"."users" ("id", "username", "password", "roles") values ($1, 'wf-member', $2, '{member}')`, [Date.now(), await hashPassword('member-pass-1')]);
    await db.end();
    const member = (await call('POST', 'auth:signIn', { account: 'wf-member', password: 'member-pass-1' }, false)).body.data.token;
    for (const path of ['workflows:list', 'executions:list', `jobs:get?filterByTk=1`]) {
      const res = await fetch(`${base}/${path}`, { headers: { authorization: `Bearer ${member}` } });
      expect(res.status).toBe(403);
    }
    const created = await fetch(`${base}/workflows:create`, { method: 'POST', headers: { authorization: `Bearer ${member}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'schedule', config: { mode: 0 } }) });
    expect(created.status).toBe(403);
    expect((await call('GET', 'workflows:list', undefined, false)).status).toBe(401);
  });

  test('fencing: a worker whose lease ran out and was taken over cannot commit a step', async () => {
    const wf = (await appsOf(broker).get('main')).workflows;
    const em = () => wf.fork();
    const workflow = (await call('POST', 'workflows:create', { title: 'fence', type: 'schedule', config: { mode: 0 } })).body.data;
    const row = (await wf.store.workflow(em(), workflow.id))!;
    const execution = await em().transactional((tx) => wf.store.insertExecution(tx, { id: wf.store.nextId(), workflow: row, eventKey: `fence-${row.id}`, context: {} }));
    const a = new Leases(wf.store, 'worker-a', 200);
    const b = new Leases(wf.store, 'worker-b', 60_000);
    const claimA = (await a.claim(em(), execution.id))!;
    expect(claimA.execution.status).toBe(0);
    expect(await b.claim(em(), execution.id)).toBeNull(); // A's lease is live
    await new Promise((r) => setTimeout(r, 300)); // A is "paused" past its lease
    const claimB = (await b.claim(em(), execution.id))!;
    expect(claimB.fence).toBeGreaterThan(claimA.fence);
    await expect(em().transactional((tx) => a.guard(tx, execution.id, claimA.fence))).rejects.toBeInstanceOf(StaleLeaseError);
    await expect(em().transactional((tx) => b.guard(tx, execution.id, claimB.fence))).resolves.toBeUndefined();
    await call('POST', `executions:cancel?filterByTk=${execution.id}`);
    await expect(em().transactional((tx) => b.guard(tx, execution.id, claimB.fence))).rejects.toBeInstanceOf(StaleLeaseError);
  });
});
