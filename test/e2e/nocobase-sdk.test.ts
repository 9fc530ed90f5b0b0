/**
 * @jest-environment node
 *
 * NocoBase's own client, `@nocobase/sdk` 2.2.15, used unmodified against a real clusterbase node.
 *
 * Environment notes: the SDK is CommonJS (lib/*.js), so ts-jest's CommonJS output loads it as is.
 * It is written for the browser but only touches `window`/`document`/`localStorage` when they exist
 * (`storageType: 'memory'` picks its MemoryStorage; the cookie helpers return early without
 * `document`), so Jest's default `node` environment is the right one: no jsdom, no globals faked.
 * It `require`s packages it does not declare (via `@nocobase/utils/client`): `@nocobase/utils`,
 * `flat`, `lodash`, `antd`, `moment`, `@formily/json-schema`; they are devDependencies here.
 */
import { APIClient } from '@nocobase/sdk';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../support/database';
import { spawnNode, tempStorage, type NodeProcess } from '../support/node-process';
import { requireServices } from '../support/services';
import type { Json } from '../support/http';

type Product = { id: number; title: string; price: number; qty: number; active: boolean; notes: string | null; createdAt: string; updatedAt: string };

/** The HTTP status of a failed SDK call (axios rejects on non-2xx). */
async function statusOf(call: Promise<unknown>): Promise<{ status: number | undefined; data: Json }> {
  try {
    await call;
  } catch (err: Json) {
    return { status: err?.response?.status, data: err?.response?.data };
  }
  throw new Error('expected the call to fail');
}

describe('NocoBase SDK (@nocobase/sdk) against a clusterbase node', () => {
  const schema = uniqueSchema('sdk');
  let node: NodeProcess;
  let api: APIClient;

  beforeAll(async () => {
    await requireServices('postgres');
    node = await spawnNode({
      env: {
        DATABASE_URL: testDatabaseUrl(),
        DB_SCHEMA: schema,
        STORAGE_PATH: tempStorage(),
        APP_KEY: 'nocobase-sdk-e2e-app-key-c82d59485f02ad199197bf81',
      },
    });
    await node.waitForReady();
    api = new APIClient({ baseURL: `http://127.0.0.1:${node.appPort}/api`, storageType: 'memory' });
  });

  afterAll(async () => {
    await node?.stop();
    await dropSchemas(schema);
  });

  test('signs in as the root user with the basic authenticator and keeps the token', async () => {
    const res = await api.auth.signIn({ account: 'nocobase', password: 'admin123' }, 'basic');
    expect(res.status).toBe(200);
    // NocoBase's root user is id 1; clusterbase's ids are snowflake ids, so only the names are fixed.
    expect(res.data.data.user).toMatchObject({ id: expect.anything(), username: 'nocobase', email: 'admin@nocobase.com' });
    expect(typeof res.data.data.token).toBe('string');
    expect(api.auth.token).toBe(res.data.data.token);
    expect(api.auth.authenticator).toBe('basic');
    const check = await api.request({ url: 'auth:check', method: 'get' });
    expect(check.data.data).toMatchObject({ id: res.data.data.user.id, username: 'nocobase' });
  });

  test('signs in by email too; a wrong password is a 401 with an errors array', async () => {
    const other = new APIClient({ baseURL: `http://127.0.0.1:${node.appPort}/api`, storageType: 'memory' });
    const res = await other.auth.signIn({ account: 'admin@nocobase.com', password: 'admin123' }, 'basic');
    expect(res.data.data.user).toMatchObject({ username: 'nocobase', email: 'admin@nocobase.com' });
    const wrong = await statusOf(other.auth.signIn({ account: 'nocobase', password: 'nope' }, 'basic'));
    expect(wrong.status).toBe(401);
    expect(wrong.data.errors[0].message).toEqual(expect.any(String));
  });

  test('creates the products collection through the collections resource', async () => {
    const res = await api.resource('collections').create({
      values: {
        name: 'products',
        title: 'Products',
        autoGenId: true,
        createdAt: true,
        updatedAt: true,
        fields: [
          { name: 'title', type: 'string', interface: 'input', uiSchema: { type: 'string', title: 'Title', 'x-component': 'Input' } },
          { name: 'price', type: 'double' },
          { name: 'qty', type: 'integer' },
          { name: 'active', type: 'boolean' },
          { name: 'notes', type: 'text' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.data.data).toMatchObject({ name: 'products', title: 'Products' });
    const names = (res.data.data.fields as Array<{ name: string }>).map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['title', 'price', 'qty', 'active', 'notes']));
  });

  test('creates records one by one and returns each with its id and timestamps', async () => {
    const first = await api.resource('products').create({ values: { title: 'Widget', price: 9.5, qty: 3, active: true, notes: 'first' } });
    expect(first.status).toBe(200);
    const created = first.data.data as Product;
    expect(created).toMatchObject({ title: 'Widget', price: 9.5, qty: 3, active: true, notes: 'first' });
    expect(created.id).toEqual(expect.anything());
    expect(created.createdAt).toEqual(expect.any(String));
    expect(created.updatedAt).toEqual(expect.any(String));
    for (let i = 1; i <= 29; i++) {
      await api.resource('products').create({ values: { title: `Item ${i}`, price: i * 1.5, qty: i, active: i % 2 === 0 } });
    }
  });

  test('lists with page and pageSize and reports the count in data.meta', async () => {
    const res = await api.resource('products').list({ page: 2, pageSize: 7, sort: ['id'] });
    expect(res.data.data).toHaveLength(7);
    expect(res.data.meta).toEqual({ count: 30, page: 2, pageSize: 7, totalPage: 5 });
    const past = await api.resource('products').list({ page: 99, pageSize: 20 });
    expect(past.data.data).toEqual([]);
    expect(past.data.meta).toEqual({ count: 30, page: 99, pageSize: 20, totalPage: 2 });
  });

  test('lists with a filter object, a descending sort array and a fields array', async () => {
    const res = await api.resource('products').list({
      filter: { $and: [{ qty: { $gt: 25 } }, { active: { $eq: true } }] },
      sort: ['-qty'],
      fields: ['id', 'title', 'qty'],
      page: 1,
      pageSize: 20,
    });
    const rows = res.data.data as Array<Partial<Product>>;
    expect(rows.map((r) => r.qty)).toEqual([28, 26]);
    expect(rows.map((r) => r.title)).toEqual(['Item 28', 'Item 26']);
    expect(Object.keys(rows[0]!).sort()).toEqual(['id', 'qty', 'title']);
    expect(res.data.meta).toEqual({ count: 2, page: 1, pageSize: 20, totalPage: 1 });
  });

  test('lists with a string sort and the short filter forms', async () => {
    const byEq = await api.resource('products').list({ filter: { qty: 5 }, sort: '-id' });
    expect((byEq.data.data as Product[]).map((r) => r.title)).toEqual(['Item 5']);
    const byIncludes = await api.resource('products').list({ filter: { 'title.$includes': 'Item 1' }, sort: 'qty', pageSize: 50 });
    const titles = (byIncludes.data.data as Product[]).map((r) => r.title);
    expect(titles).toEqual(['Item 1', ...Array.from({ length: 10 }, (_, i) => `Item ${10 + i}`)]);
    expect(byIncludes.data.meta.count).toBe(11);
  });

  test('gets one record by filterByTk; a missing one is data null', async () => {
    const listed = await api.resource('products').list({ filter: { title: 'Widget' } });
    const id = (listed.data.data as Product[])[0]!.id;
    const res = await api.resource('products').get({ filterByTk: id });
    expect(res.data.data).toMatchObject({ id, title: 'Widget', price: 9.5 });
    const missing = await api.resource('products').get({ filterByTk: 999999 });
    expect(missing.status).toBe(200);
    expect(missing.data.data).toBeNull();
  });

  test('updates by filterByTk and answers the updated rows as an array', async () => {
    const listed = await api.resource('products').list({ filter: { title: 'Widget' } });
    const id = (listed.data.data as Product[])[0]!.id;
    const res = await api.resource('products').update({ filterByTk: id, values: { price: 12.75, notes: 'changed' } });
    expect(res.status).toBe(200);
    expect(res.data.data).toEqual([expect.objectContaining({ id, price: 12.75, notes: 'changed', title: 'Widget' })]);
    const again = await api.resource('products').get({ filterByTk: id });
    expect(again.data.data).toMatchObject({ price: 12.75, notes: 'changed' });
  });

  test('destroys by filterByTk and answers the number of rows deleted', async () => {
    const listed = await api.resource('products').list({ filter: { title: 'Item 2' } });
    const id = (listed.data.data as Product[])[0]!.id;
    const res = await api.resource('products').destroy({ filterByTk: id });
    expect(res.status).toBe(200);
    expect(res.data.data).toBe(1);
    expect((await api.resource('products').get({ filterByTk: id })).data.data).toBeNull();
    expect((await api.resource('products').destroy({ filterByTk: id })).data.data).toBe(0);
    const count = await api.resource('products').list({ pageSize: 1 });
    expect(count.data.meta.count).toBe(29);
  });

  test('after signOut the old token is refused with 401, and so is a call without one', async () => {
    const token = api.auth.token!;
    // The SDK posts auth:signOut with no data, so axios sends `Content-Type: application/x-www-form-urlencoded`
    // with an empty body (content-length 0); NocoBase's body parser (koa-bodyparser: json and form) accepts that.
    const res = await api.auth.signOut();
    expect(res.status).toBe(200);
    expect(api.auth.token).toBeFalsy();
    // The SDK forgot the token: the call goes out without one.
    const anonymous = await statusOf(api.resource('products').list());
    expect(anonymous.status).toBe(401);
    expect(anonymous.data.errors[0].code).toBe('EMPTY_TOKEN');
    // The server revoked it: sending it again is refused too.
    api.auth.token = token;
    const revoked = await statusOf(api.resource('products').list());
    expect(revoked.status).toBe(401);
    expect(revoked.data.errors[0].code).toBe('INVALID_TOKEN');
  });
});
