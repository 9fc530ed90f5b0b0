import { randomBytes } from 'node:crypto';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { clusterEnv } from '../../support/cluster-env';
import { spawnNode, tempStorage, type NodeProcess } from '../../support/node-process';
import { requireServices } from '../../support/services';
import { ROOT_PASSWORD } from '../../support/root';
import type { Body } from '../../support/http';


describe('two request nodes over NATS stay consistent', () => {
  const schema = uniqueSchema('tn');
  const namespace = `t${randomBytes(4).toString('hex')}`;
  let a: NodeProcess;
  let b: NodeProcess;

  beforeAll(async () => {
    await requireServices('postgres', 'redis', 'nats');
    const storage = tempStorage();
    const env = {
      ...clusterEnv({ schema, namespace, storage, appKey: 'two-nodes-shared-app-key-d6eabd50b3b3c6460e367e29', aesKey: '4bcd9f4187ef7a07bcf45fd058b789744b2c729fbc73a1921dc424a9fed66c4c' }),
      WORKER_MODE: '!',
    };
    a = await spawnNode({ env: { ...env, NODE_ID: `${namespace}-a` } });
    await a.waitForReady();
    b = await spawnNode({ env: { ...env, NODE_ID: `${namespace}-b` } });
    await b.waitForReady();
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropSchemas(schema);
  });

  const call = async (node: NodeProcess, method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(`http://127.0.0.1:${node.appPort}/api/${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const signIn = async (node: NodeProcess) => (await call(node, 'POST', 'auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token as string;

  test('a field added through node A is usable through node B at once', async () => {
    const token = await signIn(a);
    expect((await call(a, 'POST', 'collections:create', { name: 'orders', fields: [{ name: 'title', type: 'string' }] }, token)).status).toBe(200);
    expect((await call(a, 'POST', 'collections/orders/fields:create', { name: 'qty', type: 'integer' }, token)).status).toBe(200);
    // The very next request, on the other node: no sleep.
    const created = await call(b, 'POST', 'orders:create', { title: 'first', qty: 2 }, token);
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({ title: 'first', qty: 2 });
    const listed = await call(b, 'GET', `orders:list?filter=${encodeURIComponent('{"qty":2}')}`, undefined, token);
    expect(listed.body.data).toHaveLength(1);
  });

  test('a token signed out on node A is refused by node B', async () => {
    const token = await signIn(a);
    expect((await call(b, 'GET', 'auth:check', undefined, token)).status).toBe(200);
    expect((await call(a, 'POST', 'auth:signOut', {}, token)).status).toBe(200);
    const refused = await call(b, 'GET', 'auth:check', undefined, token);
    expect(refused.status).toBe(401);
    expect(refused.body.errors![0]!.code).toBe('INVALID_TOKEN');
  });
});
