import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';

type Body = { data?: { token?: string; user?: { email: string; password?: string }; email?: string; roles?: Array<{ name: string }> }; errors?: Array<{ message: string; code?: string }> };

describe('auth:signIn, auth:check, auth:signOut through the gateway', () => {
  const schema = uniqueSchema('au');
  let broker: ServiceBroker;
  let base: string;

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService]);
    broker = node.broker;
    base = node.api;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${base}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-authenticator': 'basic', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const check = async (token?: string) => {
    const res = await fetch(`${base}/auth:check`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as Body };
  };

  test('the root user made at first start signs in by email or username; the password is never returned', async () => {
    const byEmail = await post('auth:signIn', { account: 'admin@nocobase.com', password: 'admin123' });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.data!.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(byEmail.body.data!.user).toMatchObject({ email: 'admin@nocobase.com' });
    expect(byEmail.body.data!.user!.password).toBeUndefined();
    expect((await post('auth:signIn', { account: 'nocobase', password: 'admin123' })).status).toBe(200);
  });

  test('a wrong password is a 401 with NocoBase’s message', async () => {
    const res = await post('auth:signIn', { account: 'admin@nocobase.com', password: 'nope' });
    expect(res.status).toBe(401);
    expect(res.body.errors![0]!.message).toBe('The username/email or password is incorrect, please re-enter');
  });

  test('auth:check answers the user with roles; no token is EMPTY_TOKEN, a bad one INVALID_TOKEN', async () => {
    const { token } = (await post('auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data!;
    const ok = await check(token);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ email: 'admin@nocobase.com', roles: [{ name: 'root' }] });

    const none = await check();
    expect(none.status).toBe(401);
    expect(none.body.errors![0]).toEqual({ message: 'Unauthenticated. Please sign in to continue.', code: 'EMPTY_TOKEN' });
    const bad = await check(`${token!.slice(0, -3)}abc`);
    expect(bad.status).toBe(401);
    expect(bad.body.errors![0]).toEqual({ message: 'Your session has expired. Please sign in again.', code: 'INVALID_TOKEN' });
  });

  test('a signed-out token is refused from then on', async () => {
    const { token } = (await post('auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data!;
    expect((await post('auth:signOut', {}, token)).status).toBe(200);
    const after = await check(token);
    expect(after.status).toBe(401);
    expect(after.body.errors![0]!.code).toBe('INVALID_TOKEN');
  });

  test('a missing account or an unknown authenticator is a 400', async () => {
    expect((await post('auth:signIn', { password: 'x' })).status).toBe(400);
    const res = await fetch(`${base}/auth:signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-authenticator': 'sms' },
      body: JSON.stringify({ account: 'a', password: 'b' }),
    });
    expect(res.status).toBe(400);
  });

  test('too many wrong passwords answer 429 with Retry-After, in NocoBase’s error envelope', async () => {
    const account = 'someone-guessing@example.com';
    let res: Response | undefined;
    for (let i = 0; i < 10; i++) {
      res = await fetch(`${base}/auth:signIn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account, password: `guess-${i}` }) });
      if (res.status === 429) break;
      expect(res.status).toBe(401);
    }
    expect(res!.status).toBe(429);
    expect(Number(res!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res!.json()) as Body).errors![0]!.code).toBe('CB_ERR_AUTH_TOO_MANY_ATTEMPTS');
  });
});
