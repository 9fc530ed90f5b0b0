import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import type { Body, Json } from '../../support/http';
import { requireServices } from '../../support/services';


/** NocoBase's find options and targets through the REST API (issue 12, item 6). */
describe('find options and write targets as NocoBase', () => {
  const schema = uniqueSchema('find');
  let broker: ServiceBroker;
  let base: string;
  let token = '';
  const ids: Record<string, number> = {};

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`${base}/${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const q = (v: unknown) => encodeURIComponent(JSON.stringify(v));
  const titles = (rows: Array<{ title: string }>) => rows.map((r) => r.title).sort();

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService]);
    broker = node.broker;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data.token;
    expect((await call('POST', 'collections:create', { name: 'authors', fields: [{ name: 'name', type: 'string' }] })).status).toBe(200);
    expect((await call('POST', 'collections:create', { name: 'posts', fields: [{ name: 'title', type: 'string' }, { name: 'status', type: 'string' }, { name: 'author', type: 'belongsTo', target: 'authors' }] })).status).toBe(200);
    expect((await call('POST', 'collections/authors/fields:create', { name: 'posts', type: 'hasMany', target: 'posts', foreignKey: 'authorId' })).status).toBe(200);
    ids.ann = (await call('POST', 'authors:create', { name: 'Ann' })).body.data.id;
    ids.bob = (await call('POST', 'authors:create', { name: 'Bob' })).body.data.id;
    for (const [title, status, author] of [['a1', 'draft', ids.ann], ['a2', 'published', ids.ann], ['b1', 'draft', ids.bob], ['n1', 'draft', null]] as const) {
      ids[title] = (await call('POST', 'posts:create', { title, status, authorId: author })).body.data.id;
    }
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test(':get takes fields and except, and finds by filter alone', async () => {
    const got = await call('GET', `posts:get?filterByTk=${ids.a1}&fields=title`);
    expect(got.body.data).toEqual({ title: 'a1' });
    const without = await call('GET', `posts:get?filterByTk=${ids.a1}&except=status,createdAt,updatedAt`);
    expect(Object.keys(without.body.data).sort()).toEqual(['authorId', 'id', 'title']);
    const byFilter = await call('GET', `posts:get?filter=${q({ title: 'b1' })}`);
    expect(byFilter.body.data).toMatchObject({ id: ids.b1, title: 'b1' });
  });

  test('filterByTk is ANDed with filter on get, update and destroy: a scope sent as a filter restricts the write', async () => {
    const scope = q({ status: 'published' });
    expect((await call('GET', `posts:get?filterByTk=${ids.a1}&filter=${scope}`)).body.data).toBeNull();
    const updated = await call('POST', `posts:update?filterByTk=${ids.a1}&filter=${scope}`, { title: 'hacked' });
    expect(updated.body.data).toEqual([]);
    expect((await call('POST', `posts:destroy?filterByTk=${ids.a1}&filter=${scope}`)).body.data).toBe(0);
    expect((await call('GET', `posts:get?filterByTk=${ids.a1}`)).body.data.title).toBe('a1');
  });

  test('appends work when fields leave out the keys; relation paths in fields append; nested appends are one query per level', async () => {
    const list = await call('GET', `posts:list?fields=title&appends=author&sort=title`);
    expect(list.body.data[0]).toEqual({ title: 'a1', author: expect.objectContaining({ name: 'Ann' }) });
    const viaFields = await call('GET', `posts:list?fields=title,author.name&sort=title`);
    expect(viaFields.body.data.map((p: Json) => [p.title, p.author?.name ?? null])).toEqual([['a1', 'Ann'], ['a2', 'Ann'], ['b1', 'Bob'], ['n1', null]]);
    const nested = await call('GET', `posts:get?filterByTk=${ids.b1}&appends=author.posts`);
    expect(nested.body.data.author.posts.map((p: Json) => p.title)).toEqual(['b1']);
    const authors = await call('GET', `authors:list?appends=posts.author&sort=name`);
    expect(authors.body.data[0].posts.map((p: Json) => p.author.name)).toEqual(['Ann', 'Ann']);
  });

  test('POST :list and :count read filter and sort from the body', async () => {
    const listed = await call('POST', 'posts:list', { filter: { status: 'draft' }, sort: ['-title'] });
    expect(listed.body.data.map((p: Json) => p.title)).toEqual(['n1', 'b1', 'a1']);
    expect((await call('POST', 'posts:count', { filter: { status: 'draft' } })).body.data).toBe(3);
  });

  test('filterByTk arrays on update and destroy ("delete selected")', async () => {
    const updated = await call('POST', `posts:update?filterByTk[]=${ids.b1}&filterByTk[]=${ids.n1}`, { status: 'archived' });
    expect(titles(updated.body.data)).toEqual(['b1', 'n1']);
    const destroyed = await call('POST', `posts:destroy?filterByTk[]=${ids.b1}&filterByTk[]=${ids.n1}`);
    expect(destroyed.body.data).toBe(2);
    expect(titles((await call('GET', 'posts:list')).body.data)).toEqual(['a1', 'a2']);
  });

  test('collections:list and fields:list filter, sort and page with meta; fields:get answers one field', async () => {
    const collections = await call('GET', `collections:list?filter=${q({ name: { $in: ['posts', 'authors'] } })}&sort=-name&pageSize=1`);
    expect(collections.body.data.map((c: Json) => c.name)).toEqual(['posts']);
    expect(collections.body.meta).toEqual({ count: 2, page: 1, pageSize: 1, totalPage: 2 });
    const fields = await call('GET', `collections/posts/fields:list?filter=${q({ type: 'belongsTo' })}&paginate=false`);
    expect(fields.body.data.map((f: Json) => f.name)).toEqual(['author']);
    expect(fields.body.meta).toBeUndefined();
    expect((await call('GET', 'collections/posts/fields:get?filterByTk=title')).body.data).toMatchObject({ name: 'title', type: 'string' });
    expect((await call('GET', `collections:list?filter=${q({ name: { $regex: 'x' } })}`)).status).toBe(400);
  });
});
