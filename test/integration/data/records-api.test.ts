import { ServiceBroker } from 'moleculer';
import pg from 'pg';
import { hashPassword } from '../../../shared/auth';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';
import type { Body } from '../../support/http';


describe('collections and records through the gateway', () => {
  const schema = uniqueSchema('rec');
  let broker: ServiceBroker;
  let base: string;
  let token: string;

  const call = async (method: string, path: string, body?: unknown, auth = true): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`${base}/${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const count = async () => (await call('GET', 'products:count')).body.data as number;

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService], { APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde' });
    broker = node.broker;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' }, false)).body.data.token;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('collections:create makes a real table; records are created, listed, filtered, sorted and paginated', async () => {
    const created = await call('POST', 'collections:create', {
      name: 'products',
      title: 'Products',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'price', type: 'double' },
        { name: 'qty', type: 'integer' },
        { name: 'active', type: 'boolean' },
        { name: 'secret', type: 'encrypted' },
      ],
    });
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({ name: 'products', title: 'Products' });

    const items = Array.from({ length: 30 }, (_, i) => ({ title: `Item ${i + 1}`, price: i + 0.5, qty: i + 1, active: i % 2 === 0 }));
    const batch = await call('POST', 'products:create', items);
    expect(batch.status).toBe(200);
    expect(batch.body.data).toHaveLength(30);

    const page = await call('GET', 'products:list?page=2&pageSize=5&sort=-qty&fields=id,title,qty');
    expect(page.body.meta).toEqual({ count: 30, page: 2, pageSize: 5, totalPage: 6 });
    expect(page.body.data.map((r: { qty: number }) => r.qty)).toEqual([25, 24, 23, 22, 21]);
    expect(Object.keys(page.body.data[0]).sort()).toEqual(['id', 'qty', 'title']);

    const filter = encodeURIComponent(JSON.stringify({ $and: [{ qty: { $gt: 25 } }, { active: { $eq: true } }] }));
    const filtered = await call('GET', `products:list?filter=${filter}&sort=-qty`);
    expect(filtered.body.data.map((r: { qty: number }) => r.qty)).toEqual([29, 27]);
    expect(filtered.body.meta).toEqual({ count: 2, page: 1, pageSize: 20, totalPage: 1 });
    const beyond = await call('GET', `products:list?filter=${filter}&page=3&pageSize=5`);
    expect(beyond.body).toEqual({ data: [], meta: { count: 2, page: 3, pageSize: 5, totalPage: 1 } });
    const short = await call('GET', `products:list?filter[title.$includes]=Item 1&paginate=false`);
    expect(short.body.meta).toBeUndefined();
    expect(short.body.data).toHaveLength(11); // Item 1, 10–19
  });

  test('get, update and destroy by key, also REST-style', async () => {
    const { id } = (await call('POST', 'products:create', { title: 'Widget', price: 9.5, qty: 3, secret: 'shh' })).body.data;
    expect((await call('GET', `products:get?filterByTk=${id}`)).body.data).toMatchObject({ id, title: 'Widget', secret: 'shh' });
    const updated = await call('POST', `products:update?filterByTk=${id}`, { price: 12.75 });
    expect(updated.body.data).toEqual([expect.objectContaining({ id, price: 12.75 })]);
    expect((await call('GET', `products/${id}`)).body.data.price).toBe(12.75);
    expect((await call('DELETE', `products/${id}`)).body.data).toBe(1);
    expect((await call('GET', `products:get?filterByTk=${id}`)).body.data).toBeNull();
  });

  test('update and destroy also take a filter; an empty one is refused', async () => {
    await call('POST', 'products:create', [{ title: 'bulk-a', qty: 500 }, { title: 'bulk-b', qty: 501 }]);
    const filter = encodeURIComponent(JSON.stringify({ qty: { $gte: 500 } }));
    const updated = await call('POST', `products:update?filter=${filter}`, { active: false });
    expect(updated.body.data.map((r: { title: string; active: boolean }) => [r.title, r.active]).sort()).toEqual([['bulk-a', false], ['bulk-b', false]]);
    expect((await call('POST', 'products:destroy', {})).status).toBe(400);
    expect((await call('POST', `products:destroy?filter=${encodeURIComponent('{}')}`)).status).toBe(400);
    expect((await call('POST', `products:destroy?filter=${filter}`)).body.data).toBe(2);
  });

  test('a field added through fields:create is usable at once', async () => {
    const field = await call('POST', 'collections/products/fields:create', { name: 'sku', type: 'string', unique: true });
    expect(field.status).toBe(200);
    const rec = await call('POST', 'products:create', { title: 'With SKU', sku: 'A-1' });
    expect(rec.body.data.sku).toBe('A-1');
    const fields = await call('GET', 'collections/products/fields:list');
    expect(fields.body.data.map((f: { name: string }) => f.name)).toContain('sku');
  });

  test('belongsTo and hasMany are loaded with appends, one query per relation', async () => {
    expect((await call('POST', 'collections:create', { name: 'categories', fields: [{ name: 'name', type: 'string' }] })).status).toBe(200);
    expect((await call('POST', 'collections/products/fields:create', { name: 'category', type: 'belongsTo', target: 'categories' })).status).toBe(200);
    expect(
      (await call('POST', 'collections/categories/fields:create', { name: 'products', type: 'hasMany', target: 'products', foreignKey: 'categoryId' })).status,
    ).toBe(200);
    const cat = (await call('POST', 'categories:create', { name: 'Tools' })).body.data;
    const hammer = (await call('POST', 'products:create', { title: 'Hammer', categoryId: cat.id })).body.data;

    const got = await call('GET', `products:get?filterByTk=${hammer.id}&appends[]=category`);
    expect(got.body.data.category).toMatchObject({ id: cat.id, name: 'Tools' });
    const cats = await call('GET', `categories:list?appends[]=products`);
    expect(cats.body.data[0].products.map((p: { title: string }) => p.title)).toEqual(['Hammer']);
    const byRelation = await call('GET', `products:list?filter=${encodeURIComponent(JSON.stringify({ 'category.name': 'Tools' }))}`);
    expect(byRelation.body.data.map((p: { title: string }) => p.title)).toEqual(['Hammer']);
    expect((await call('GET', 'products:list?appends[]=title')).status).toBe(400);
  });

  test('firstOrCreate finds or creates by filterKeys; updateOrCreate updates or creates', async () => {
    const first = await call('POST', 'products:firstOrCreate?filterKeys[]=title', { title: 'Unique thing', qty: 1 });
    const again = await call('POST', 'products:firstOrCreate?filterKeys[]=title', { title: 'Unique thing', qty: 99 });
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(again.body.data.qty).toBe(1);
    const updated = await call('POST', 'products:updateOrCreate?filterKeys[]=title', { title: 'Unique thing', qty: 7 });
    expect(updated.body.data).toMatchObject({ id: first.body.data.id, qty: 7 });
    const fresh = await call('POST', 'products:updateOrCreate?filterKeys[]=title', { title: 'Another thing', qty: 2 });
    expect(fresh.body.data.id).not.toBe(first.body.data.id);
    expect((await call('POST', 'products:firstOrCreate', { title: 'x' })).status).toBe(400);
  });

  test('bad input is a 4xx naming the problem and changes nothing', async () => {
    const before = await count();
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', 'products:create', { title: 'x', nope: 1 }, 400, /nope/],
      ['POST', 'products:create', { title: 'x', qty: 'many' }, 400, /qty/],
      ['GET', `products:list?filter=${encodeURIComponent('{"qty":{"$regex":".*"}}')}`, undefined, 400, /\$regex/],
      ['GET', `products:list?filter=${encodeURIComponent('{"title\\"; drop table products; --":1}')}`, undefined, 400, /drop table/],
      ['GET', `products:list?filter=${encodeURIComponent(JSON.stringify({ title: "' or 1=1 --" }))}`, undefined, 200, /.*/],
      ['GET', 'products:list?pageSize=100000', undefined, 400, /1000/],
      ['GET', 'products:list?filter={bad', undefined, 400, /filter/],
      ['GET', 'nothing:list', undefined, 404, /nothing/],
      ['GET', 'products:create', undefined, 405, /GET/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const res = await call(method, path, body);
      expect({ path, status: res.status }).toEqual({ path, status });
      if (status !== 200) expect(res.body.errors![0]!.message).toMatch(message);
      else expect(res.body.data).toEqual([]);
    }
    expect(await count()).toBe(before);
  });

  test('a member may work with records but not change collections: 403 with NocoBase’s shape', async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      await client.query(`insert into "${schema}"."users" ("id", "username", "email", "password", "roles") values (424242, 'member1', 'm1@example.com', $1, '{member}')`, [
        await hashPassword('member-pass'),
      ]);
    } finally {
      await client.end();
    }
    const memberToken = (await call('POST', 'auth:signIn', { account: 'member1', password: 'member-pass' }, false)).body.data.token as string;
    const asMember = async (method: string, path: string, body?: unknown) => {
      const saved = token;
      token = memberToken;
      try {
        return await call(method, path, body);
      } finally {
        token = saved;
      }
    };
    expect((await asMember('GET', 'products:list')).status).toBe(200);
    const denied = await asMember('POST', 'collections:create', { name: 'forbidden_things' });
    expect(denied.status).toBe(403);
    expect(denied.body.errors![0]!.message).toBe('No permissions');
    expect((await asMember('POST', 'collections/products/fields:destroy?filterByTk=title')).status).toBe(403);
  });

  test('record actions need a token', async () => {
    const res = await call('GET', 'products:list', undefined, false);
    expect(res.status).toBe(401);
    expect(res.body.errors![0]!.code).toBe('EMPTY_TOKEN');
  });
});
