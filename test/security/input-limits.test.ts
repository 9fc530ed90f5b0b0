import { startSharedMemorySupervisor } from '../support/supervisor-node';
import { dropSchemas, uniqueSchema } from '../support/database';
import { jsonCaller } from '../support/http';
import { APP_ROOT_PASSWORD, ROOT_PASSWORD } from '../support/root';
import { startAbuseNode, sql, type AbuseNode } from './support';

/**
 * Item 10: inputs that gave 500s or reached the logs unchecked. NUL characters, 100,000-level JSON
 * and a 2,000-field collection are 400s with nothing written; X-Request-Id is used only when it is
 * `[A-Za-z0-9-]{1,64}`; an app's own database cannot be a PostgreSQL system database.
 */
describe('abuse: malformed and oversized input', () => {
  let n: AbuseNode;

  beforeAll(async () => {
    n = await startAbuseNode();
    expect((await n.api.call('POST', 'collections:create', { name: 'notes', fields: [{ name: 'title', type: 'string' }] }, n.admin)).status).toBe(200);
  });

  afterAll(async () => {
    await n?.stop();
  });

  const rows = async () => Number((await sql(`select count(*)::int as c from "${n.schema}"."notes"`))[0].c);

  test('a NUL character in a body value, a key or the URL is a 400; nothing is written', async () => {
    for (const body of [{ title: 'a\u0000b' }, { ['ti\u0000tle']: 'x' }]) {
      const res = await n.api.call('POST', 'notes:create', body, n.member);
      expect({ status: res.status, code: res.body.errors?.[0]?.code }).toEqual({ status: 400, code: 'CB_ERR_HTTP_BAD_BODY' });
    }
    const list = await n.api.call('GET', `notes:list?filter=${encodeURIComponent(JSON.stringify({ title: 'a\u0000' }))}`, undefined, n.member);
    expect(list.status).toBe(400);
    expect(await rows()).toBe(0);
  });

  test('100,000-level JSON is a 400, and the node keeps serving', async () => {
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const res = await fetch(`${n.node.api}/notes:create`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${n.member}` }, body: deep });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ message: string }> }).errors[0].message).toMatch(/nested deeper than 64 levels/);
    const filter = `${'{"$and":['.repeat(2000)}{}${']}'.repeat(2000)}`;
    const deepFilter = await fetch(`${n.node.api}/notes:list?filter=${encodeURIComponent(filter)}`, { headers: { authorization: `Bearer ${n.member}` } });
    expect(deepFilter.status).toBeGreaterThanOrEqual(400);
    expect(deepFilter.status).toBeLessThan(500);
    expect((await n.api.call('GET', 'notes:count', undefined, n.member)).status).toBe(200);
  });

  test('a 2,000-field collection is a 400 and leaves no table behind', async () => {
    const fields = Array.from({ length: 2000 }, (_, i) => ({ name: `f${i}`, type: 'string' }));
    const res = await n.api.call('POST', 'collections:create', { name: 'wide', fields }, n.admin);
    expect(res.status).toBe(400);
    expect(await sql(`select 1 from information_schema.tables where table_schema = $1 and table_name = 'wide'`, [n.schema])).toEqual([]);
  });

  test('X-Request-Id is kept only when it is [A-Za-z0-9-]{1,64}, otherwise replaced', async () => {
    const idOf = async (value: string) => (await fetch(`${n.node.api}/notes:count`, { headers: { authorization: `Bearer ${n.member}`, 'x-request-id': value } })).headers.get('x-request-id');
    expect(await idOf('trace-0123-abcd')).toBe('trace-0123-abcd');
    for (const bad of ['a'.repeat(65), 'id with spaces', '<script>', 'a";b', '../../x']) {
      const id = await idOf(bad);
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('abuse: an app database that is a system database', () => {
  const schema = uniqueSchema('abuse_sup');
  let stop: () => Promise<void>;
  let call: ReturnType<typeof jsonCaller>;

  beforeAll(async () => {
    const sup = await startSharedMemorySupervisor(schema);
    stop = () => sup.broker.stop();
    let token: string | undefined = undefined;
    call = jsonCaller(() => `${sup.origin}/api/`, () => token);
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD }, '')).body.data.token;
  });

  afterAll(async () => {
    await stop?.();
    await dropSchemas(schema);
  });

  test.each(['template0', 'template1', 'postgres', 'pg_anything'])('refuses database.name %s with a 400', async (name) => {
    const res = await call('POST', 'applications:create', { name: `a_${name.replace(/\W/g, '')}`, rootUser: { password: APP_ROOT_PASSWORD }, database: { kind: 'database', name } });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toMatch(/system database/);
  });
});
