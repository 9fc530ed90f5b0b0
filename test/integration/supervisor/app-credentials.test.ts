import { randomBytes } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller } from '../../support/http';
import { ROOT_PASSWORD } from '../../support/root';
import { requireServices } from '../../support/services';
import { startSharedMemorySupervisor } from '../../support/supervisor-node';

describe('every supervised app has root credentials of its own', () => {
  const schema = uniqueSchema('cred');
  const tenant = `t${randomBytes(4).toString('hex')}`;
  const victim = `v${randomBytes(4).toString('hex')}`;
  let broker: ServiceBroker;
  let origin = '';
  let admin = '';
  const call = jsonCaller(() => origin, () => admin);

  beforeAll(async () => {
    await requireServices('postgres');
    ({ broker, origin } = await startSharedMemorySupervisor(schema));
    admin = (await call('POST', '/api/auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema, `app_${tenant}`, `app_${victim}`);
  });

  test('the tenant-takeover reproduction ends in 401: a tenant’s credentials and tokens get nothing from the supervisor', async () => {
    const created = await call('POST', '/api/applications:create', { name: tenant });
    expect(created.status).toBe(200);
    const { rootUser } = created.body.data;
    expect(rootUser).toEqual({ email: 'admin@nocobase.com', username: 'nocobase', password: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/) });
    expect((await call('POST', '/api/applications:create', { name: victim })).status).toBe(200);

    // The tenant signs in to its own app with the credentials it was given…
    const own = await call('POST', `/apps/${tenant}/api/auth:signIn`, { account: 'nocobase', password: rootUser.password }, '');
    expect(own.status).toBe(200);
    // …then without X-App: the supervisor's main app does not know that password.
    const main = await call('POST', '/api/auth:signIn', { account: 'nocobase', password: rootUser.password }, '');
    expect(main.status).toBe(401);
    expect(main.body.data).toBeUndefined();
    // Its own app's token is refused by the control plane: no destroying another tenant.
    const destroy = await call('POST', `/api/applications:destroy?filterByTk=${victim}&dropData=true`, {}, own.body.data.token);
    expect(destroy.status).toBe(401);
    expect((await call('GET', `/api/applications:get?filterByTk=${victim}`)).body.data.name).toBe(victim);
    // Nor does the supervisor's root password open the tenant's app.
    expect((await call('POST', `/apps/${tenant}/api/auth:signIn`, { account: 'nocobase', password: ROOT_PASSWORD }, '')).status).toBe(401);
  });

  test('the generated password is answered once: the app record never shows it or its hash', async () => {
    const listed = await call('GET', '/api/applications:list');
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain('rootUser');
    expect(text).not.toContain('scrypt$');
    expect((await call('GET', `/api/applications:get?filterByTk=${tenant}`)).body.data.rootUser).toBeUndefined();
  });

  test('a given password of at least 12 characters is used and not echoed; a short one is a 400', async () => {
    const name = `g${randomBytes(4).toString('hex')}`;
    expect((await call('POST', '/api/applications:create', { name, rootUser: { password: 'short' } })).status).toBe(400);
    const created = await call('POST', '/api/applications:create', { name, rootUser: { email: 'owner@shop.test', username: 'owner', password: 'owner-password-123' } });
    try {
      expect(created.body.data.rootUser).toEqual({ email: 'owner@shop.test', username: 'owner' });
      expect((await call('POST', `/apps/${name}/api/auth:signIn`, { account: 'owner@shop.test', password: 'owner-password-123' }, '')).status).toBe(200);
    } finally {
      await call('POST', `/api/applications:destroy?filterByTk=${name}&dropData=true`);
      await dropSchemas(`app_${name}`);
    }
  });
});
