import { usersNode } from './support';

/** What NocoBase's client reads right after sign-in (and the sign-in page before it). */
describe('bootstrap resources: systemSettings, app:getLang, app:getPlugins, roles:check', () => {
  const { call } = usersNode('boot');

  test('systemSettings:get is public and answers NocoBase’s fields; put/update are root’s and admin’s', async () => {
    const got = await call('GET', '/api/systemSettings:get', undefined, '');
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({ id: 1, title: 'clusterbase', raw_title: 'clusterbase', allowSignUp: true, enabledLanguages: ['en-US'], appLang: 'en-US', roleMode: 'default', logo: null });
    const put = await call('POST', '/api/systemSettings:put?filterByTk=1', { raw_title: 'Acme', enabledLanguages: ['de-DE', 'en-US'], roleMode: 'allow-use-union', secret: 'ignored' });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ title: 'Acme', enabledLanguages: ['de-DE', 'en-US'], roleMode: 'allow-use-union' });
    expect((await call('POST', '/api/systemSettings:update?filterByTk=1', { allowSignUp: 'yes' })).status).toBe(400);
    expect((await call('POST', '/api/systemSettings:update?filterByTk=1', { title: 'x' }, '')).status).toBe(401);
    await call('POST', '/api/users:create', { username: 'mia', password: 'mia-password-1' });
    const mia = (await call('POST', '/api/auth:signIn', { account: 'mia', password: 'mia-password-1' }, '')).body.data.token;
    expect((await call('POST', '/api/systemSettings:update?filterByTk=1', { title: 'x' }, mia)).status).toBe(403);
    // roles:check reads the role mode from the settings.
    expect((await call('GET', '/api/roles:check', undefined, mia)).body.data).toMatchObject({ role: 'member', roles: ['member'], resources: [], roleMode: 'allow-use-union', allowAll: false });
    expect((await call('GET', '/api/systemSettings:get', undefined, '')).body.data.title).toBe('Acme');
  });

  test('app:getLang answers the first enabled language, or an enabled ?locale=', async () => {
    await call('POST', '/api/systemSettings:put', { enabledLanguages: ['de-DE', 'en-US'] });
    expect((await call('GET', '/api/app:getLang', undefined, '')).body.data).toMatchObject({ lang: 'de-DE', resources: {} });
    expect((await call('GET', '/api/app:getLang?locale=en-US', undefined, '')).body.data.lang).toBe('en-US');
    expect((await call('GET', '/api/app:getLang?locale=fr-FR', undefined, '')).body.data.lang).toBe('de-DE');
  });

  test('app:getPlugins lists the app’s services as plugin records (signed-in)', async () => {
    expect((await call('GET', '/api/app:getPlugins', undefined, '')).status).toBe(401);
    const plugins = (await call('GET', '/api/app:getPlugins')).body.data;
    expect(plugins.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['api', 'auth', 'data', 'users']));
    expect(plugins[0]).toMatchObject({ enabled: true, installed: true, builtIn: true });
  });
});
