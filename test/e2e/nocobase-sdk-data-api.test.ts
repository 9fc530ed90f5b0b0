/**
 * @jest-environment node
 *
 * The data API as NocoBase's client uses it (issue 12), through the unmodified `@nocobase/sdk`:
 * many-to-many tags, association resources `resource('posts.tags', id)`, a sub-table (hasMany),
 * date filters in the caller's time zone, find options and "delete selected". See nocobase-sdk.test.ts
 * for the environment notes.
 */
import { APIClient } from '@nocobase/sdk';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../support/database';
import type { Json } from '../support/http';
import { spawnNode, tempStorage, type NodeProcess } from '../support/node-process';
import { requireServices } from '../support/services';

describe('NocoBase SDK: relations, association resources, date filters, bulk delete', () => {
  const schema = uniqueSchema('sdkdata');
  let node: NodeProcess;
  let api: APIClient;
  const id: Record<string, number> = {};

  beforeAll(async () => {
    await requireServices('postgres');
    node = await spawnNode({ env: { DATABASE_URL: testDatabaseUrl(), DB_SCHEMA: schema, STORAGE_PATH: tempStorage(), APP_KEY: 'nocobase-sdk-data-api-app-key-5f3a91c0e7d24b68' } });
    await node.waitForReady();
    api = new APIClient({ baseURL: `http://127.0.0.1:${node.appPort}/api`, storageType: 'memory' });
    await api.auth.signIn({ account: 'nocobase', password: 'admin123' }, 'basic');
    await api.resource('collections').create({ values: { name: 'tags', fields: [{ name: 'name', type: 'string' }] } });
    await api.resource('collections').create({
      values: {
        name: 'posts',
        createdBy: true,
        updatedBy: true,
        fields: [
          { name: 'title', type: 'string' },
          { name: 'publishedAt', type: 'date' },
          { name: 'tags', type: 'belongsToMany', target: 'tags' },
        ],
      },
    });
    await api.resource('collections').create({ values: { name: 'comments', fields: [{ name: 'body', type: 'string' }, { name: 'post', type: 'belongsTo', target: 'posts' }] } });
    await api.resource('collections.fields', 'posts').create({ values: { name: 'comments', type: 'hasMany', target: 'comments', foreignKey: 'postId' } });
  });

  afterAll(async () => {
    await node?.stop();
    await dropSchemas(schema);
  });

  test('many-to-many tags through resource("posts.tags", id): add, list, and a filter through the relation', async () => {
    for (const name of ['red', 'blue']) id[name] = (await api.resource('tags').create({ values: { name } })).data.data.id;
    id.p1 = (await api.resource('posts').create({ values: { title: 'p1', publishedAt: '2026-01-01T20:00:00.000Z' } })).data.data.id;
    id.p2 = (await api.resource('posts').create({ values: { title: 'p2', publishedAt: '2026-01-02T10:00:00.000Z' } })).data.data.id;
    await api.resource('posts.tags', id.p1).add({ values: [id.red, id.blue] });
    await api.resource('posts.tags', id.p2).add({ values: [id.blue] });
    const tags = (await api.resource('posts.tags', id.p1).list({ sort: ['name'] })).data.data as Json[];
    expect(tags.map((t) => t.name)).toEqual(['blue', 'red']);
    const red = (await api.resource('posts').list({ filter: { 'tags.name': 'red' }, appends: ['tags'] })).data.data as Json[];
    expect(red.map((p) => [p.title, p.tags.length])).toEqual([['p1', 2]]);
  });

  test('a sub-table: comments created through the association carry the post; createdById is the caller', async () => {
    const me = (await api.request({ url: 'auth:check', method: 'get' })).data.data;
    const comment = (await api.resource('posts.comments', id.p1).create({ values: { body: 'nice' } })).data.data;
    expect(comment).toMatchObject({ body: 'nice', postId: id.p1 });
    const post = (await api.resource('posts').get({ filterByTk: id.p1, appends: ['comments'] })).data.data;
    expect(post.comments.map((c: Json) => c.body)).toEqual(['nice']);
    expect(post.createdById).toBe(me.id);
  });

  test('a date filter is a day in the caller time zone (X-Timezone)', async () => {
    const inTokyo = await api.request({ url: 'posts:list', method: 'get', params: { filter: { publishedAt: { $dateOn: '2026-01-02' } } }, headers: { 'X-Timezone': '+09:00' } });
    expect((inTokyo.data.data as Json[]).map((p) => p.title).sort()).toEqual(['p1', 'p2']);
    const inUtc = await api.request({ url: 'posts:list', method: 'get', params: { filter: { publishedAt: { $dateOn: '2026-01-02' } } }, headers: { 'X-Timezone': '+00:00' } });
    expect((inUtc.data.data as Json[]).map((p) => p.title)).toEqual(['p2']);
  });

  test('a form with a sub-table and tags is one create; editing it replaces the sub-table rows and the tags', async () => {
    const created = (await api.resource('posts').create({ values: { title: 'form', tags: [{ id: id.red }, { name: 'fresh' }], comments: [{ body: 'row 1' }, { body: 'row 2' }] } })).data.data;
    expect(created.comments.map((c: Json) => c.body)).toEqual(['row 1', 'row 2']);
    const row1 = created.comments[0];
    await api.resource('posts').update({ filterByTk: created.id, values: { title: 'form', tags: [id.blue], comments: [{ id: row1.id, body: 'row 1' }, { body: 'row 3' }] } });
    const post = (await api.resource('posts').get({ filterByTk: created.id, appends: ['comments', 'tags'] })).data.data;
    expect(post.comments.map((c: Json) => c.body).sort()).toEqual(['row 1', 'row 3']);
    expect(post.tags.map((t: Json) => t.name)).toEqual(['blue']);
    expect((await api.resource('tags').list({ filter: { name: 'fresh' } })).data.data).toHaveLength(1);
    await api.resource('posts').destroy({ filterByTk: created.id });
  });

  test('"delete selected" sends filterByTk as an array', async () => {
    const res = await api.resource('posts').destroy({ filterByTk: [id.p1, id.p2] });
    expect(res.data.data).toBe(2);
    expect((await api.resource('posts').list()).data.meta.count).toBe(0);
  });
});
