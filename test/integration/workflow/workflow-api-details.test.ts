import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import WorkflowApiService = require('../../../services/workflow-api.service');
import WorkflowService = require('../../../services/workflow.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller, type Json } from '../../support/http';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';

/** Workflow API details as NocoBase answers them (issue 12 item 9): ISO timestamps, execute's answer, revisions' `current`. */
describe('workflow API details', () => {
  const schema = uniqueSchema('wfdetails');
  let broker: ServiceBroker;
  let base: string;
  let token = '';
  const call = jsonCaller(() => `${base}/`, () => token);
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    expect(res.body.errors).toBeUndefined();
    return res.body;
  };
  const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, WorkflowApiService, WorkflowService], { WORKFLOW_SYNC_TIMEOUT: '5' });
    broker = node.broker;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data.token;
    await ok('POST', 'collections:create', { name: 'things', fields: [{ name: 'name', type: 'string' }] });
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('timestamps of workflows, nodes, executions and jobs are ISO 8601 in UTC', async () => {
    const wf = (await ok('POST', 'workflows:create', { title: 'iso', type: 'collection', config: { mode: 1, collection: 'things' } })).data;
    expect(wf.createdAt).toMatch(ISO);
    expect(wf.updatedAt).toMatch(ISO);
    const node = (await ok('POST', `workflows/${wf.id}/nodes:create`, { type: 'calculation', title: 'one', upstreamId: null, config: { engine: 'math.js', expression: '1 + 1' } })).data;
    expect(node.createdAt).toMatch(ISO);
    const thing = (await ok('POST', 'things:create', { name: 't' })).data;
    const run = (await ok('POST', `workflows:execute?filterByTk=${wf.id}`, { data: thing.id })).data;
    expect(run.execution.status).toBe(1);
    const execution = (await ok('GET', `executions:get?filterByTk=${run.execution.id}&appends[]=jobs`)).data;
    expect(execution.createdAt).toMatch(ISO);
    expect(execution.jobs[0].createdAt).toMatch(ISO);
    expect((await ok('GET', `workflows:get?filterByTk=${wf.id}`)).data.updatedAt).toMatch(ISO);
  });

  test('a revision of a key is not current (null) until enabled; without filter[key] it is a new workflow "… copy"', async () => {
    const wf = (await ok('POST', 'workflows:create', { title: 'rev', type: 'collection', config: { mode: 1, collection: 'things' } })).data;
    expect(wf.current).toBe(true);
    const v2 = (await ok('POST', `workflows:revision?filterByTk=${wf.id}&filter[key]=${wf.key}`, {})).data;
    expect(v2).toMatchObject({ key: wf.key, current: null, enabled: false, title: 'rev' });
    const copy = (await ok('POST', `workflows:revision?filterByTk=${wf.id}`, {})).data;
    expect(copy).toMatchObject({ current: true, title: 'rev copy' });
    expect(copy.key).not.toBe(wf.key);
    // Enabling v2 makes it current; the old version is disabled and no longer current.
    await ok('POST', `workflows:update?filterByTk=${v2.id}`, { enabled: true });
    const versions = (await ok('GET', `workflows:list?filter[key]=${wf.key}&sort=id&paginate=false`)).data;
    expect(versions.map((w: Json) => [w.id, w.current, w.enabled])).toEqual([[wf.id, null, false], [v2.id, true, true]]);
  });

  test('workflows:execute with autoRevision=1 on a never-run version leaves a new version behind (newVersionId)', async () => {
    const wf = (await ok('POST', 'workflows:create', { title: 'auto', type: 'collection', config: { mode: 1, collection: 'things' } })).data;
    const thing = (await ok('POST', 'things:create', { name: 'a' })).data;
    const run = (await ok('POST', `workflows:execute?filterByTk=${wf.id}&autoRevision=1`, { data: thing.id })).data;
    expect(run.execution.status).toBe(1);
    expect(run.newVersionId).toEqual(expect.any(Number));
    const fresh = (await ok('GET', `workflows:get?filterByTk=${run.newVersionId}`)).data;
    expect(fresh).toMatchObject({ key: wf.key, executed: 0 });
    const again = (await ok('POST', `workflows:execute?filterByTk=${wf.id}&autoRevision=1`, { data: thing.id })).data;
    expect(again.newVersionId).toBeUndefined();
  });
});
