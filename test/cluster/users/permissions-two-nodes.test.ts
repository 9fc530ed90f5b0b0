import { randomBytes } from 'node:crypto';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import UsersService = require('../../../services/users.service');
import { clusterEnv } from '../../support/cluster-env';
import { dropSchemas, uniqueSchema } from '../../support/database';
import type { Body } from '../../support/http';
import { startInProcessNode, type InProcessNode } from '../../support/in-process-node';
import { tempStorage } from '../../support/node-process';
import { ROOT_PASSWORD } from '../../support/root';
import { requireServices } from '../../support/services';

/**
 * Two gateways of one cluster over NATS (Redis adapters): a permission changed through node A is
 * enforced by node B on the next request, and failed sign-ins are counted across both.
 */
describe('permissions and sign-in limits across two nodes', () => {
  const schema = uniqueSchema('acl2');
  const env = {
    ...clusterEnv({ schema, namespace: `acl${randomBytes(4).toString('hex')}`, storage: tempStorage(), appKey: `acl-two-nodes-${randomBytes(16).toString('hex')}`, aesKey: randomBytes(32).toString('hex') }),
    LOG_LEVEL: 'fatal',
    SIGN_IN_LOCKOUT: '2',
  };
  const nodes: InProcessNode[] = [];

  const call = async (node: InProcessNode, method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(`${node.api}/${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Body };
  };

  beforeAll(async () => {
    await requireServices('postgres', 'redis', 'nats');
    for (let i = 0; i < 2; i++) nodes.push(await startInProcessNode(schema, [ApiService, AuthService, DataService, UsersService], { ...env, NODE_ID: `acl-node-${i}` }));
  });

  afterAll(async () => {
    for (const n of nodes) await n.broker.stop();
    await dropSchemas(schema);
  });

  test('a permission changed through node A is enforced by node B on the next request', async () => {
    const [a, b] = nodes as [InProcessNode, InProcessNode];
    const root = (await call(a, 'POST', 'auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token;
    expect((await call(a, 'POST', 'collections:create', { name: 'notes', fields: [{ name: 'text', type: 'string' }] }, root)).status).toBe(200);
    expect((await call(a, 'POST', 'roles:create', { name: 'writer', strategy: { actions: ['view', 'create'] } }, root)).status).toBe(200);
    expect((await call(a, 'POST', 'users:create', { username: 'wendy', password: 'wendy-password-1', roles: ['writer'] }, root)).status).toBe(200);
    const wendy = (await call(b, 'POST', 'auth:signIn', { account: 'wendy', password: 'wendy-password-1' })).body.data.token;

    expect((await call(b, 'POST', 'notes:create', { text: 'allowed' }, wendy)).status).toBe(200);
    // Through A: writer may only view now. B's very next request refuses the create.
    expect((await call(a, 'POST', 'dataSources/main/roles:update?filterByTk=writer', { strategy: { actions: ['view'] } }, root)).status).toBe(200);
    expect((await call(b, 'POST', 'notes:create', { text: 'refused' }, wendy)).status).toBe(403);
    expect((await call(b, 'GET', 'notes:list', undefined, wendy)).status).toBe(200);
    // And back, through B, seen by A.
    expect((await call(b, 'POST', 'roles/writer/dataSourceResources:create', { name: 'notes', usingActionsConfig: true, actions: [{ name: 'create' }] }, root)).status).toBe(200);
    expect((await call(a, 'POST', 'notes:create', { text: 'allowed again' }, wendy)).status).toBe(200);
    expect((await call(a, 'GET', 'notes:list', undefined, wendy)).status).toBe(403);
  });

  test('30 wrong passwords alternating between the nodes, then the right one: refused (429) until the lockout ends', async () => {
    const [a, b] = nodes as [InProcessNode, InProcessNode];
    const codes: number[] = [];
    for (let i = 0; i < 30; i++) codes.push((await call(i % 2 ? b : a, 'POST', 'auth:signIn', { account: 'wendy', password: `wrong-${i}` })).status);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(10);
    expect(codes.slice(-10)).toEqual(Array(10).fill(429));
    const right = await call(a, 'POST', 'auth:signIn', { account: 'wendy', password: 'wendy-password-1' });
    expect(right.status).toBe(429);
    expect(Number(right.retryAfter)).toBeGreaterThan(0);
    expect((await call(b, 'POST', 'auth:signIn', { account: 'wendy', password: 'wendy-password-1' })).status).toBe(429);
    for (;;) {
      const attempt = await call(b, 'POST', 'auth:signIn', { account: 'wendy', password: 'wendy-password-1' });
      if (attempt.status === 200) break;
      expect(attempt.status).toBe(429);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
});
