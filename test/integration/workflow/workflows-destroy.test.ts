import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import WorkflowApiService = require('../../../services/workflow-api.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller, type Json } from '../../support/http';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';

/** workflows:destroy by filter (NocoBase's UI deletes every version of a workflow by its key), issue 12 item 7. */
describe('workflows:destroy by filterByTk or filter', () => {
  const schema = uniqueSchema('wfdestroy');
  let broker: ServiceBroker;
  let base: string;
  let token = '';
  const call = jsonCaller(() => `${base}/`, () => token);
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    expect(res.body.errors).toBeUndefined();
    return res.body;
  };
  const q = (filter: unknown) => encodeURIComponent(JSON.stringify(filter));
  const titles = async () => (await ok('GET', 'workflows:list?paginate=false&sort=id')).data.map((w: Json) => w.title);

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, WorkflowApiService]);
    broker = node.broker;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data.token;
    await ok('POST', 'collections:create', { name: 'things', fields: [{ name: 'name', type: 'string' }] });
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  const workflow = async (title: string) => (await ok('POST', 'workflows:create', { title, type: 'collection', config: { mode: 1, collection: 'things' } })).data;

  test('by filter on the key: every version goes; by filterByTk arrays; deleting a current version takes its revisions', async () => {
    const a = await workflow('a');
    await ok('POST', `workflows:revision?filterByTk=${a.id}&filter[key]=${a.key}`, { title: 'a v2' });
    const b = await workflow('b');
    const c = await workflow('c');
    const d = await workflow('d');
    expect(await titles()).toEqual(['a', 'a v2', 'b', 'c', 'd']);

    expect((await ok('POST', `workflows:destroy?filter=${q({ key: a.key })}`)).data).toBe(2);
    expect(await titles()).toEqual(['b', 'c', 'd']);

    expect((await ok('POST', `workflows:destroy?filterByTk[]=${b.id}&filterByTk[]=${c.id}`)).data).toBe(2);
    expect(await titles()).toEqual(['d']);

    // The current version of d with a revision: the revision goes with it.
    await ok('POST', `workflows:revision?filterByTk=${d.id}&filter[key]=${d.key}`, { title: 'd v2' });
    expect((await ok('POST', `workflows:destroy?filterByTk=${d.id}`)).data).toBe(2);
    expect(await titles()).toEqual([]);
  });

  test('neither filterByTk nor a filter is refused (it would delete every workflow)', async () => {
    await workflow('e');
    const res = await call('POST', 'workflows:destroy');
    expect(res.status).toBe(400);
    expect(await titles()).toEqual(['e']);
  });
});
