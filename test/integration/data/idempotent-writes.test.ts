import { randomUUID } from 'node:crypto';
import type { ServiceBroker } from 'moleculer';
import pg from 'pg';
import { hashPassword } from '../../../shared/auth';
import { sweepExpiredKeys } from '../../../shared/data-api';
import { nodeState } from '../../../shared/runtime';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';
import type { Body } from '../../support/http';


describe('record writes with an Idempotency-Key are applied once', () => {
  const schema = uniqueSchema('idem');
  let broker: ServiceBroker;
  let base: string;
  let token: string;
  let db: pg.Client;

  const call = async (method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; text: string; body: Body }> => {
    const res = await fetch(`${base}/${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as Body };
  };
  const rows = async (where = 'true') => Number((await db.query(`select count(*) from "${schema}"."orders" where ${where}`)).rows[0].count);

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService], { IDEMPOTENCY_KEY_TTL: '2' });
    broker = node.broker;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data.token;
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    const created = await call('POST', 'collections:create', {
      name: 'orders',
      fields: [
        { name: 'ref', type: 'string', unique: true },
        { name: 'qty', type: 'integer' },
      ],
    });
    expect(created.status).toBe(200);
  });

  afterAll(async () => {
    await db?.end();
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('a retried :create returns the first answer, byte for byte, and writes one row', async () => {
    const key = randomUUID();
    const first = await call('POST', 'orders:create', { ref: 'a-1', qty: 1 }, key);
    expect(first.status).toBe(200);
    const again = await call('POST', 'orders:create', { ref: 'a-1', qty: 1 }, key);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(await rows(`"ref" = 'a-1'`)).toBe(1);
  });

  test('without a key, the same body is a second write (here: a unique conflict)', async () => {
    await call('POST', 'orders:create', { ref: 'plain', qty: 1 });
    const second = await call('POST', 'orders:create', { ref: 'plain', qty: 1 });
    expect(second.status).toBe(409);
  });

  test('the same key with a different request is a 422 naming the key, and nothing is written', async () => {
    const key = `k-${randomUUID()}`;
    expect((await call('POST', 'orders:create', { ref: 'b-1', qty: 1 }, key)).status).toBe(200);
    const other = await call('POST', 'orders:create', { ref: 'b-2', qty: 1 }, key);
    expect(other.status).toBe(422);
    expect(other.body.errors?.[0]?.code).toBe('CB_ERR_DATA_IDEMPOTENCY_MISMATCH');
    expect(other.body.errors?.[0]?.message).toContain(key);
    expect(await rows(`"ref" = 'b-2'`)).toBe(0);
    // Another action with the key is a different request too.
    expect((await call('POST', 'orders:destroy?filterByTk=1', undefined, key)).status).toBe(422);
  });

  test('concurrent duplicates wait for the first: one row, the same answer for all', async () => {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 8 }, () => call('POST', 'orders:create', { ref: 'c-1', qty: 3 }, key)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(await rows(`"ref" = 'c-1'`)).toBe(1);
  });

  test('update, destroy, updateOrCreate and REST-style PUT/DELETE replay their first answer', async () => {
    const id = (await call('POST', 'orders:create', { ref: 'd-1', qty: 1 })).body.data.id;

    const inc = randomUUID();
    const u1 = await call('POST', `orders:update?filterByTk=${id}`, { qty: 5 }, inc);
    await db.query(`update "${schema}"."orders" set "qty" = 6 where "id" = $1`, [id]);
    const u2 = await call('POST', `orders:update?filterByTk=${id}`, { qty: 5 }, inc);
    expect(u2.text).toBe(u1.text);
    expect((await db.query(`select "qty" from "${schema}"."orders" where "id" = $1`, [id])).rows[0].qty).toBe(6);

    const upsert = randomUUID();
    const o1 = await call('POST', 'orders:updateOrCreate?filterKeys[]=ref', { ref: 'e-1', qty: 1 }, upsert);
    const o2 = await call('POST', 'orders:updateOrCreate?filterKeys[]=ref', { ref: 'e-1', qty: 1 }, upsert);
    expect(o1.status).toBe(200);
    expect(o2.text).toBe(o1.text);
    expect(await rows(`"ref" = 'e-1'`)).toBe(1);

    const put = randomUUID();
    const p1 = await call('PUT', `orders/${id}`, { qty: 9 }, put);
    expect(p1.status).toBe(200);
    expect((await call('PUT', `orders/${id}`, { qty: 9 }, put)).text).toBe(p1.text);

    const del = randomUUID();
    const d1 = await call('DELETE', `orders/${id}`, undefined, del);
    expect(d1.body.data).toBe(1);
    const d2 = await call('DELETE', `orders/${id}`, undefined, del);
    expect(d2.text).toBe(d1.text);
  });

  test('a write that fails keeps no key: the corrected retry with the same key is applied', async () => {
    const key = randomUUID();
    const bad = await call('POST', 'orders:create', { ref: 'f-1', qty: 'many' }, key);
    expect(bad.status).toBe(400);
    const good = await call('POST', 'orders:create', { ref: 'f-1', qty: 2 }, key);
    expect(good.status).toBe(200);
    expect(await rows(`"ref" = 'f-1'`)).toBe(1);
  });

  test('keys are per user: another signed-in user may use the same key for another request', async () => {
    const key = randomUUID();
    expect((await call('POST', 'orders:create', { ref: 'g-1', qty: 1 }, key)).status).toBe(200);
    const rootToken = token;
    await db.query(`insert into "${schema}"."users" ("id", "username", "email", "password", "roles") values (515151, 'member2', 'm2@example.com', $1, '{member}')`, [
      await hashPassword('member-pass'),
    ]);
    token = (await call('POST', 'auth:signIn', { account: 'member2', password: 'member-pass' })).body.data.token;
    try {
      expect((await call('POST', 'orders:create', { ref: 'g-2', qty: 1 }, key)).status).toBe(200);
      expect(await rows(`"ref" in ('g-1', 'g-2')`)).toBe(2);
    } finally {
      token = rootToken;
    }
  });

  test('a bad key is a 400; an expired key is reused for a new write and swept later', async () => {
    expect((await call('POST', 'orders:create', { ref: 'h-0', qty: 1 }, 'x'.repeat(256))).status).toBe(400);

    const key = randomUUID();
    expect((await call('POST', 'orders:create', { ref: 'h-1', qty: 1 }, key)).status).toBe(200);
    // Age the key past its retention (IDEMPOTENCY_KEY_TTL=2 here) instead of sleeping.
    await db.query(`update "${schema}"."cb_idempotency_keys" set "expires_at" = now() - interval '1 second'`);
    expect((await call('POST', 'orders:create', { ref: 'h-2', qty: 1 }, key)).status).toBe(200);
    expect(await rows(`"ref" in ('h-1', 'h-2')`)).toBe(2);

    await db.query(`update "${schema}"."cb_idempotency_keys" set "expires_at" = now() - interval '1 second'`);
    expect(await sweepExpiredKeys(nodeState(broker).services().database.fork(schema), schema)).toBeGreaterThan(0);
    expect(Number((await db.query(`select count(*) from "${schema}"."cb_idempotency_keys"`)).rows[0].count)).toBe(0);
  });
});
