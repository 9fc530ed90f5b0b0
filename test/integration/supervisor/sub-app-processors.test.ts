import { randomBytes } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import WorkflowApiService = require('../../../services/workflow-api.service');
import WorkflowService = require('../../../services/workflow.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startSharedMemorySupervisor } from '../../support/supervisor-node';
import { jsonCaller, until } from '../../support/http';
import { requireServices } from '../../support/services';
import { APP_ROOT_PASSWORD, ROOT_PASSWORD } from '../../support/root';

/**
 * Background processors follow the sub-applications their environment hosts: a workflow of a sub-app
 * created and started through the supervisor (shared-memory mode) runs on this node's processor, on
 * the sub-app's own schema; after a stop and a start it runs again.
 */
describe('processors of hosted sub-applications', () => {
  const schema = uniqueSchema('subproc');
  const app = `p${randomBytes(4).toString('hex')}`;
  let broker: ServiceBroker;
  let origin: string;
  let adminToken = '';

  const call = jsonCaller(() => origin, () => adminToken);

  beforeAll(async () => {
    await requireServices('postgres');
    ({ broker, origin } = await startSharedMemorySupervisor(schema, [WorkflowApiService, WorkflowService]));
    adminToken = (await call('POST', '/api/auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema, `app_${app}`);
  });

  test("a sub-app's collection workflow runs on the node's processor, before and after a restart of the app", async () => {
    expect((await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: app })).status).toBe(200);
    const signIn = async () => (await call('POST', `/apps/${app}/api/auth:signIn`, { account: 'nocobase', password: APP_ROOT_PASSWORD }, '')).body.data.token as string;
    let sub = await signIn();
    const api = `/apps/${app}/api`;
    expect((await call('POST', `${api}/collections:create`, { name: 'orders', fields: [{ name: 'title', type: 'string' }] }, sub)).status).toBe(200);
    expect((await call('POST', `${api}/collections:create`, { name: 'audit', fields: [{ name: 'note', type: 'string' }] }, sub)).status).toBe(200);
    const wf = (await call('POST', `${api}/workflows:create`, { title: 'audit orders', type: 'collection', sync: false, enabled: false, config: { mode: 1, collection: 'orders' } }, sub)).body.data;
    expect(wf.id).toBeDefined();
    const node = await call('POST', `${api}/workflows/${wf.id}/nodes:create`, { type: 'create', upstreamId: null, config: { collection: 'audit', params: { values: { note: 'order {{$context.data.title}}' } } } }, sub);
    expect(node.status).toBe(200);
    expect((await call('POST', `${api}/workflows:update?filterByTk=${wf.id}`, { enabled: true }, sub)).status).toBe(200);

    const audited = (note: string) =>
      until(async () => {
        const rows = (await call('GET', `${api}/audit:list?filter[note]=${encodeURIComponent(note)}`, undefined, sub)).body.data as unknown[] | undefined;
        return rows && rows.length > 0 ? rows : undefined;
      });

    expect((await call('POST', `${api}/orders:create`, { title: 'first' }, sub)).status).toBe(200);
    expect(await audited('order first')).toHaveLength(1);

    expect((await call('POST', `/api/applications:stop?filterByTk=${app}`)).status).toBe(200);
    expect((await call('POST', `/api/applications:start?filterByTk=${app}`)).status).toBe(200);
    sub = await signIn();
    expect((await call('POST', `${api}/orders:create`, { title: 'second' }, sub)).status).toBe(200);
    expect(await audited('order second')).toHaveLength(1);

    const executions = (await call('GET', `${api}/executions:list?filter[workflowId]=${wf.id}`, undefined, sub)).body.data as Array<{ status: number }>;
    expect(executions.map((e) => e.status)).toEqual([1, 1]);
    // The main app has no such workflow: the executions live in the sub-app's schema.
    expect((await call('GET', `/api/executions:list?filter[workflowId]=${wf.id}`)).body.data).toEqual([]);
  });
});
