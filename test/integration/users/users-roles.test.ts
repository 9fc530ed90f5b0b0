import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import UsersService = require('../../../services/users.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller, type Body } from '../../support/http';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';

describe('users, roles and permissions (NocoBase’s resources)', () => {
  const schema = uniqueSchema('usr');
  let broker: ServiceBroker;
  let origin = '';
  let root = '';
  const call = jsonCaller(() => origin, () => root);
  const as = (token: string, role?: string) => async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(role ? { 'x-role': role } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const signIn = async (account: string, password: string) => (await call('POST', '/api/auth:signIn', { account, password }, '')).body.data?.token as string;

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, UsersService]);
    broker = node.broker;
    origin = node.api.replace(/\/api$/, '');
    root = await signIn('nocobase', 'admin123');
    expect((await call('POST', '/api/collections:create', { name: 'products', fields: [{ name: 'title', type: 'string' }] })).status).toBe(200);
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('users:create gives the default role (member); users:list and get answer NocoBase’s shapes without passwords', async () => {
    const created = await call('POST', '/api/users:create', { username: 'ann', email: 'ann@example.com', nickname: 'Ann', password: 'ann-password-1' });
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({ username: 'ann', email: 'ann@example.com', nickname: 'Ann', roles: [{ name: 'member', default: true }] });
    const listed = await call('GET', '/api/users:list?pageSize=50');
    expect(listed.body.meta).toMatchObject({ count: 2, page: 1, pageSize: 50 });
    expect(JSON.stringify(listed.body)).not.toMatch(/password|scrypt/);
    const got = await call('GET', `/api/users:get?filterByTk=${created.body.data.id}`);
    expect(got.body.data.username).toBe('ann');
    // auth:check answers the user with its role records.
    const ann = await signIn('ann', 'ann-password-1');
    expect((await as(ann)('GET', '/api/auth:check')).body.data).toMatchObject({ username: 'ann', roles: [{ name: 'member', title: '{{t("Member")}}' }] });
    // A member manages no users.
    expect((await as(ann)('GET', '/api/users:list')).status).toBe(403);
    expect((await call('POST', '/api/users:create', { username: 'ann', password: 'x-password-1' })).status).toBe(400);
  });

  test('a role with a general strategy allows exactly those actions; a configured collection overrides it', async () => {
    expect((await call('POST', '/api/roles:create', { name: 'viewer', title: 'Viewer', strategy: { actions: ['view'] } })).status).toBe(200);
    const bob = (await call('POST', '/api/users:create', { username: 'bob', password: 'bob-password-1', roles: ['viewer'] })).body.data;
    const token = await signIn('bob', 'bob-password-1');
    const asBob = as(token);
    expect((await asBob('GET', '/api/products:list')).status).toBe(200);
    expect((await asBob('POST', '/api/products:create', { title: 'no' })).status).toBe(403);

    const check = (await asBob('GET', '/api/roles:check')).body.data;
    expect(check).toMatchObject({ role: 'viewer', strategy: { actions: ['view'] }, allowAll: false, allowConfigure: false, actionAlias: { list: 'view', get: 'view' } });
    expect(check.availableActions).toEqual(expect.arrayContaining(['create', 'view', 'update', 'destroy', 'export']));

    const configured = await call('POST', '/api/roles/viewer/dataSourceResources:create', {
      name: 'products', dataSourceKey: 'main', usingActionsConfig: true, actions: [{ name: 'view', fields: ['title'] }, { name: 'create' }],
    });
    expect(configured.status).toBe(200);
    expect(configured.body.data).toMatchObject({ roleName: 'viewer', name: 'products', usingActionsConfig: true });
    // The next request sees the change (the table was invalidated on write).
    expect((await asBob('POST', '/api/products:create', { title: 'yes' })).status).toBe(200);
    expect((await asBob('GET', '/api/roles:check')).body.data.actions).toEqual({ 'products:view': { fields: ['title'] }, 'products:create': {} });

    // dataSources.roles: the strategy as the permission screens read and write it.
    expect((await call('POST', '/api/dataSources/main/roles:update?filterByTk=viewer', { strategy: { actions: ['view', 'update:own'] } })).body.data).toEqual({
      roleName: 'viewer', dataSourceKey: 'main', strategy: { actions: ['view', 'update:own'] },
    });
    expect((await call('POST', '/api/dataSources/main/roles:update?filterByTk=viewer', { strategy: { actions: ['fly'] } })).status).toBe(400);
    expect((await call('GET', `/api/users/${bob.id}/roles:list`)).body.data.map((r: { name: string }) => r.name)).toEqual(['viewer']);
  });

  test('X-Role acts with one of the caller’s roles; one it lacks is a 403', async () => {
    await call('POST', '/api/roles:create', { name: 'nothing', strategy: { actions: [] } });
    const carl = (await call('POST', '/api/users:create', { username: 'carl', password: 'carl-password-1', roles: ['member', 'nothing'] })).body.data;
    const token = await signIn('carl', 'carl-password-1');
    expect((await as(token)('GET', '/api/products:list')).status).toBe(200);
    expect((await as(token, 'nothing')('GET', '/api/products:list')).status).toBe(403);
    expect((await as(token, '__union__')('GET', '/api/products:list')).status).toBe(200);
    expect((await as(token, 'admin')('GET', '/api/products:list')).status).toBe(403);
    expect((await as(token, 'nothing')('GET', '/api/roles:check')).body.data.role).toBe('nothing');

    // users/<id>/roles:add|remove|set
    expect((await call('POST', `/api/users/${carl.id}/roles:remove`, ['member'])).status).toBe(200);
    expect((await call('GET', `/api/users/${carl.id}/roles:list`)).body.data.map((r: { name: string }) => r.name)).toEqual(['nothing']);
    expect((await call('POST', `/api/users/${carl.id}/roles:add`, ['member'])).status).toBe(200);
    expect((await call('POST', `/api/users/${carl.id}/roles:set`, ['viewer'])).status).toBe(200);
    expect((await call('GET', `/api/users/${carl.id}`.replace(/\/users\/(\d+)$/, '/users:get?filterByTk=$1'))).body.data.roles.map((r: { name: string }) => r.name)).toEqual(['viewer']);
    expect((await call('POST', `/api/users/${carl.id}/roles:add`, ['no-such-role'])).status).toBe(400);
    // Removing a role takes it off its users.
    expect((await call('POST', '/api/roles:destroy?filterByTk=nothing')).status).toBe(200);
    expect((await call('POST', '/api/roles:destroy?filterByTk=root')).status).toBe(403);
  });

  test('passwords: changePassword needs the old one, an admin resets through users:update, a profile update cannot touch roles', async () => {
    const dora = (await call('POST', '/api/users:create', { username: 'dora', password: 'dora-password-1' })).body.data;
    const token = await signIn('dora', 'dora-password-1');
    const asDora = as(token);
    expect((await asDora('POST', '/api/auth:changePassword', { oldPassword: 'wrong', newPassword: 'dora-password-2' })).status).toBe(400);
    expect((await asDora('POST', '/api/auth:changePassword', { oldPassword: 'dora-password-1', newPassword: 'dora-password-2', confirmPassword: 'other' })).status).toBe(400);
    expect((await asDora('POST', '/api/auth:changePassword', { oldPassword: 'dora-password-1', newPassword: 'dora-password-2' })).status).toBe(200);
    expect(await signIn('dora', 'dora-password-1')).toBeUndefined();
    expect(await signIn('dora', 'dora-password-2')).toEqual(expect.any(String));

    expect((await call('POST', `/api/users:update?filterByTk=${dora.id}`, { password: 'reset-by-admin-1' })).status).toBe(200);
    expect(await signIn('dora', 'reset-by-admin-1')).toEqual(expect.any(String));

    const profile = await asDora('POST', '/api/users:updateProfile', { nickname: 'Dora', roles: ['root'] });
    expect(profile.body.data).toMatchObject({ nickname: 'Dora' });
    expect((await call('GET', `/api/users:get?filterByTk=${dora.id}`)).body.data.roles.map((r: { name: string }) => r.name)).toEqual(['member']);
    // A member cannot make itself root, nor update others.
    expect((await asDora('POST', `/api/users:update?filterByTk=${dora.id}`, { roles: ['root'] })).status).toBe(403);
  });

  test('an admin manages members but never a root user, and cannot grant root', async () => {
    await call('POST', '/api/users:create', { username: 'eve', password: 'eve-password-1', roles: ['admin'] });
    const admin = as(await signIn('eve', 'eve-password-1'));
    const rootId = (await call('GET', '/api/auth:check')).body.data.id;
    expect((await admin('POST', `/api/users:update?filterByTk=${rootId}`, { nickname: 'x' })).status).toBe(403);
    expect((await admin('POST', '/api/users:create', { username: 'frank', password: 'frank-password-1', roles: ['root'] })).status).toBe(403);
    expect((await admin('POST', '/api/users:create', { username: 'frank', password: 'frank-password-1' })).status).toBe(200);
  });
});
