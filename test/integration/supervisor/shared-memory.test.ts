import { randomBytes } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startSharedMemorySupervisor } from '../../support/supervisor-node';
import { requireServices } from '../../support/services';
import { APP_ROOT_PASSWORD, ROOT_PASSWORD } from '../../support/root';
import type { Body } from '../../support/http';


describe('shared-memory mode: sub-apps hosted in the supervisor process', () => {
  const schema = uniqueSchema('sm');
  const app = `s${randomBytes(4).toString('hex')}`;
  const other = `s${randomBytes(4).toString('hex')}`;
  let broker: ServiceBroker;
  let origin: string;
  let token: string;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };

  beforeAll(async () => {
    await requireServices('postgres');
    ({ broker, origin } = await startSharedMemorySupervisor(schema));
    token = (await call('POST', '/api/auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema, `app_${app}`, `app_${other}`);
  });

  test('creating an app migrates its own schema and serves its records API under /apps/<app> and X-App', async () => {
    const created = await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: app, displayName: 'Shop' });
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({ name: app, displayName: 'Shop', environments: ['local'], database: { kind: 'schema', schema: `app_${app}` } });
    expect(created.body.data.statuses.local.status).toBe('running');

    // The sub-app has its own users (root made at first start) and its own collections.
    const sub = (await call('POST', `/apps/${app}/api/auth:signIn`, { account: 'nocobase', password: APP_ROOT_PASSWORD })).body.data.token as string;
    const asSub = { authorization: `Bearer ${sub}` };
    expect((await call('POST', `/apps/${app}/api/collections:create`, { name: 'orders', fields: [{ name: 'title', type: 'string' }] }, asSub)).status).toBe(200);
    expect((await call('POST', `/apps/${app}/api/orders:create`, { title: 'first' }, asSub)).status).toBe(200);
    const listed = await call('GET', '/api/orders:list', undefined, { ...asSub, 'x-app': app });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((r: { title: string }) => r.title)).toEqual(['first']);

    // The main app does not see the sub-app's collection.
    const main = await call('GET', '/api/orders:list');
    expect(main.status).toBe(404);
  });

  test('a stopped app answers 503 through the proxy and X-App; start serves it again with its data', async () => {
    expect((await call('POST', `/api/applications:stop?filterByTk=${app}`)).body.data.statuses.local.status).toBe('stopped');
    const proxied = await call('GET', `/apps/${app}/api/orders:list`);
    expect(proxied.status).toBe(503);
    expect(proxied.body.errors![0]!.code).toBe('CB_ERR_SUPERVISOR_APP_NOT_RUNNING');
    const direct = await call('GET', '/api/orders:list', undefined, { 'x-app': app });
    expect(direct.status).toBe(503);

    expect((await call('POST', `/api/applications:start?filterByTk=${app}`)).body.data.statuses.local.status).toBe('running');
    const sub = (await call('POST', `/apps/${app}/api/auth:signIn`, { account: 'nocobase', password: APP_ROOT_PASSWORD })).body.data.token as string;
    const listed = await call('GET', `/apps/${app}/api/orders:list`, undefined, { authorization: `Bearer ${sub}` });
    expect(listed.body.data).toHaveLength(1);
  });

  test('unknown apps are 404 through the proxy and through X-App', async () => {
    const proxied = await call('GET', '/apps/nosuchapp/api/orders:list');
    expect(proxied.status).toBe(404);
    expect(proxied.body.errors![0]!.message).toContain('nosuchapp');
    expect((await call('GET', '/api/orders:list', undefined, { 'x-app': 'nosuchapp' })).status).toBe(404);
  });

  test('bad input is refused: invalid names, duplicates, main, unknown database kinds', async () => {
    expect((await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: 'Bad-Name' })).status).toBe(400);
    expect((await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: 'main' })).status).toBe(400);
    expect((await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: app })).status).toBe(409);
    expect((await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: other, database: { kind: 'mysql' } })).status).toBe(400);
  });

  test('the control plane is for signed-in admins only', async () => {
    const res = await fetch(`${origin}/api/applications:list`);
    expect(res.status).toBe(401);
  });

  test('remove keeps the data unless asked; a re-created app finds it', async () => {
    expect((await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: other })).status).toBe(200);
    const sub = (await call('POST', `/apps/${other}/api/auth:signIn`, { account: 'nocobase', password: APP_ROOT_PASSWORD })).body.data.token as string;
    await call('POST', `/apps/${other}/api/collections:create`, { name: 'notes', fields: [{ name: 'text', type: 'string' }] }, { authorization: `Bearer ${sub}` });
    await call('POST', `/apps/${other}/api/notes:create`, { text: 'kept' }, { authorization: `Bearer ${sub}` });

    expect((await call('POST', `/api/applications:destroy?filterByTk=${other}`)).body.data).toEqual({ name: other, dataDropped: false });
    expect((await call('GET', `/apps/${other}/api/notes:list`)).status).toBe(404);
    expect((await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: other })).status).toBe(200);
    const again = (await call('POST', `/apps/${other}/api/auth:signIn`, { account: 'nocobase', password: APP_ROOT_PASSWORD })).body.data.token as string;
    expect((await call('GET', `/apps/${other}/api/notes:list`, undefined, { authorization: `Bearer ${again}` })).body.data).toHaveLength(1);

    expect((await call('POST', `/api/applications:destroy?filterByTk=${other}&dropData=true`)).body.data).toEqual({ name: other, dataDropped: true });
    const recreated = await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: other });
    expect(recreated.body.errors).toBeUndefined();
    const fresh = (await call('POST', `/apps/${other}/api/auth:signIn`, { account: 'nocobase', password: APP_ROOT_PASSWORD })).body.data.token as string;
    expect((await call('GET', `/apps/${other}/api/notes:list`, undefined, { authorization: `Bearer ${fresh}` })).status).toBe(404);
  });

  test('every command is recorded with its outcome', async () => {
    const commands = (await call('GET', `/api/applications:commands?filterByTk=${app}`)).body.data as Array<{ command: string; status: string }>;
    expect(commands.map((c) => `${c.command}:${c.status}`)).toEqual(['start:succeeded', 'stop:succeeded', 'start:succeeded']);
  });
});
