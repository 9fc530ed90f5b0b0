import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import type { Body, Json } from '../../support/http';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';

/** belongsToMany, hasOne and association resources through the REST API (issue 12, items 1 and 2). */
describe('relations and association resources as NocoBase', () => {
  const schema = uniqueSchema('assoc');
  let broker: ServiceBroker;
  let base: string;
  let token = '';
  const id: Record<string, number> = {};

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`${base}/${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    expect(res.body.errors).toBeUndefined();
    return res.body;
  };
  const names = (rows: Json[]) => rows.map((r: Json) => r.name ?? r.title ?? r.body).sort();

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService]);
    broker = node.broker;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data.token;
    await ok('POST', 'collections:create', { name: 'tags', fields: [{ name: 'name', type: 'string' }] });
    await ok('POST', 'collections:create', { name: 'posts', fields: [{ name: 'title', type: 'string' }, { name: 'tags', type: 'belongsToMany', target: 'tags' }] });
    await ok('POST', 'collections:create', { name: 'comments', fields: [{ name: 'body', type: 'string' }, { name: 'post', type: 'belongsTo', target: 'posts' }] });
    await ok('POST', 'collections/posts/fields:create', { name: 'comments', type: 'hasMany', target: 'comments', foreignKey: 'postId' });
    await ok('POST', 'collections:create', { name: 'profiles', fields: [{ name: 'bio', type: 'string' }, { name: 'postId', type: 'bigInt' }] });
    await ok('POST', 'collections/posts/fields:create', { name: 'profile', type: 'hasOne', target: 'profiles', foreignKey: 'postId' });
    for (const name of ['red', 'green', 'blue']) id[name] = (await ok('POST', 'tags:create', { name })).data.id;
    id.p1 = (await ok('POST', 'posts:create', { title: 'p1' })).data.id;
    id.p2 = (await ok('POST', 'posts:create', { title: 'p2' })).data.id;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('belongsToMany with an implicit through collection (postsTags, postId/tagId as NocoBase)', async () => {
    const fields = (await ok('GET', 'collections/posts/fields:list')).data;
    expect(fields.find((f: Json) => f.name === 'tags')).toMatchObject({ type: 'belongsToMany', through: 'postsTags', foreignKey: 'postId', otherKey: 'tagId', sourceKey: 'id', targetKey: 'id' });
  });

  test(':add, :remove, :set and :toggle on belongsToMany; list, count, appends and filters see the links', async () => {
    await ok('POST', `posts/${id.p1}/tags:add`, [id.red, id.green]);
    await ok('POST', `posts/${id.p2}/tags:add?filterByTk=${id.green}`);
    expect(names((await ok('GET', `posts/${id.p1}/tags:list`)).data)).toEqual(['green', 'red']);
    expect((await ok('GET', `posts/${id.p1}/tags:count`)).data).toBe(2);
    await ok('POST', `posts/${id.p1}/tags:toggle`, [id.red, id.blue]);
    expect(names((await ok('GET', `posts/${id.p1}/tags`)).data)).toEqual(['blue', 'green']);
    await ok('POST', `posts/${id.p1}/tags:remove`, [id.blue]);
    await ok('POST', `posts/${id.p2}/tags:set`, [id.red, id.blue]);
    expect(names((await ok('GET', `posts/${id.p2}/tags:list`)).data)).toEqual(['blue', 'red']);
    const listed = (await ok('GET', 'posts:list?appends=tags&sort=title')).data;
    expect(listed.map((p: Json) => [p.title, names(p.tags)])).toEqual([['p1', ['green']], ['p2', ['blue', 'red']]]);
    const filtered = (await ok('GET', `posts:list?filter=${encodeURIComponent(JSON.stringify({ 'tags.name': 'red' }))}`)).data;
    expect(filtered.map((p: Json) => p.title)).toEqual(['p2']);
    const got = (await ok('GET', `posts/${id.p2}/tags:get?filterByTk=${id.red}`)).data;
    expect(got).toMatchObject({ name: 'red' });
    expect((await ok('GET', `posts/${id.p1}/tags:get?filterByTk=${id.red}`)).data).toBeNull();
  });

  test('hasMany association: create sets the foreign key, update and destroy stay inside the association', async () => {
    const c1 = (await ok('POST', `posts/${id.p1}/comments:create`, { body: 'first' })).data;
    expect(c1).toMatchObject({ body: 'first', postId: id.p1 });
    const other = (await ok('POST', `posts/${id.p2}/comments:create`, { body: 'other' })).data;
    expect((await ok('POST', `posts/${id.p1}/comments:update?filterByTk=${other.id}`, { body: 'hijack' })).data).toEqual([]);
    expect((await ok('POST', `posts/${id.p1}/comments:update?filterByTk=${c1.id}`, { body: 'edited' })).data[0].body).toBe('edited');
    await ok('POST', `posts/${id.p1}/comments:add`, [other.id]);
    expect(names((await ok('GET', `posts/${id.p1}/comments:list`)).data)).toEqual(['edited', 'other']);
    await ok('POST', `posts/${id.p1}/comments:set`, [c1.id]);
    expect(names((await ok('GET', `posts/${id.p1}/comments:list`)).data)).toEqual(['edited']);
    expect((await ok('POST', `posts/${id.p1}/comments:destroy?filterByTk=${c1.id}`)).data).toBe(1);
    expect((await ok('GET', `posts/${id.p1}/comments:count`)).data).toBe(0);
  });

  test('belongsTo and hasOne associations', async () => {
    const c = (await ok('POST', 'comments:create', { body: 'lonely' })).data;
    await ok('POST', `comments/${c.id}/post:set?filterByTk=${id.p2}`);
    expect((await ok('GET', `comments/${c.id}/post:get`)).data).toMatchObject({ title: 'p2' });
    await ok('POST', `comments/${c.id}/post:remove`);
    expect((await ok('GET', `comments/${c.id}/post:get`)).data).toBeNull();
    const profile = (await ok('POST', `posts/${id.p1}/profile:create`, { bio: 'hello' })).data;
    expect(profile.postId).toBe(id.p1);
    expect((await ok('GET', `posts/${id.p1}/profile:get`)).data).toMatchObject({ bio: 'hello' });
    expect((await ok('GET', `posts:get?filterByTk=${id.p1}&appends=profile`)).data.profile).toMatchObject({ bio: 'hello' });
  });

  test('an unknown relation or source record is a 404', async () => {
    expect((await call('GET', `posts/${id.p1}/nope:list`)).status).toBe(404);
    expect((await call('GET', 'posts/999999/tags:list')).status).toBe(404);
  });
});
