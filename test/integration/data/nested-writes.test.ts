import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import WorkflowApiService = require('../../../services/workflow-api.service');
import WorkflowService = require('../../../services/workflow.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller, type Json } from '../../support/http';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';

/** Nested writes in :create / :update (issue 12 item 3), and whitelist / blacklist / updateAssociationValues (item 6). */
describe('nested writes as NocoBase', () => {
  const schema = uniqueSchema('nested');
  let broker: ServiceBroker;
  let base: string;
  let token = '';
  const call = jsonCaller(() => `${base}/`, () => token);
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    expect(res.body.errors).toBeUndefined();
    expect(res.status).toBe(200);
    return res.body;
  };
  const q = (filter: unknown) => encodeURIComponent(JSON.stringify(filter));
  const sorted = (rows: Json[] | null | undefined, key = 'name') => (rows ?? []).map((r: Json) => r[key]).sort();
  const executions = async (workflowId: number) => (await ok('GET', `executions:list?filter[workflowId]=${workflowId}&paginate=false`)).data.length;
  const count = async (collection: string, filter: unknown = {}) => (await ok('GET', `${collection}:count?filter=${q(filter)}`)).data;
  const workflow: Record<string, number> = {};

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, WorkflowApiService, WorkflowService], {
      APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde',
    });
    broker = node.broker;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data.token;
    await ok('POST', 'collections:create', { name: 'authors', fields: [{ name: 'name', type: 'string' }] });
    await ok('POST', 'collections:create', { name: 'tags', fields: [{ name: 'name', type: 'string' }] });
    await ok('POST', 'collections:create', {
      name: 'posts',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'author', type: 'belongsTo', target: 'authors' },
        { name: 'tags', type: 'belongsToMany', target: 'tags' },
      ],
    });
    await ok('POST', 'collections:create', {
      name: 'comments',
      fields: [
        { name: 'body', type: 'string', allowNull: true },
        { name: 'post', type: 'belongsTo', target: 'posts' },
        { name: 'writer', type: 'belongsTo', target: 'authors' },
      ],
    });
    await ok('POST', 'collections/posts/fields:create', { name: 'comments', type: 'hasMany', target: 'comments', foreignKey: 'postId' });
    await ok('POST', 'collections:create', { name: 'details', fields: [{ name: 'text', type: 'string' }, { name: 'postId', type: 'bigInt' }] });
    await ok('POST', 'collections/posts/fields:create', { name: 'detail', type: 'hasOne', target: 'details', foreignKey: 'postId' });
    for (const collection of ['authors', 'tags', 'comments', 'details']) {
      workflow[collection] = (await ok('POST', 'workflows:create', { title: `${collection} created`, type: 'collection', enabled: true, config: { mode: 1, collection } })).data.id;
    }
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test(':create writes belongsTo, hasMany, belongsToMany and hasOne values in one request and answers them', async () => {
    const red = (await ok('POST', 'tags:create', { name: 'red' })).data;
    const loose = (await ok('POST', 'comments:create', { body: 'loose' })).data;
    const before = { authors: await executions(workflow.authors!), tags: await executions(workflow.tags!), comments: await executions(workflow.comments!), details: await executions(workflow.details!) };
    const post = (
      await ok('POST', 'posts:create', {
        title: 'nested',
        author: { name: 'ann' },
        tags: [red.id, { name: 'green' }, { name: 'blue' }],
        comments: [{ body: 'first', writer: { name: 'bob' } }, { body: 'second' }, loose.id],
        detail: { text: 'more' },
      })
    ).data;
    expect(post).toMatchObject({ title: 'nested', author: { name: 'ann' }, detail: { text: 'more', postId: post.id } });
    expect(post.authorId).toBe(post.author.id);
    expect(sorted(post.tags)).toEqual(['blue', 'green', 'red']);
    expect(sorted(post.comments, 'body')).toEqual(['first', 'loose', 'second']);

    const got = (await ok('GET', `posts:get?filterByTk=${post.id}&appends=author,tags,comments,comments.writer,detail`)).data;
    expect(got.author.name).toBe('ann');
    expect(sorted(got.tags)).toEqual(['blue', 'green', 'red']);
    expect(sorted(got.comments, 'body')).toEqual(['first', 'loose', 'second']);
    expect(got.comments.find((c: Json) => c.body === 'first').writer.name).toBe('bob');
    expect(got.detail.text).toBe('more');

    // A collection trigger fired for every record the request created (not for the linked ones).
    expect(await executions(workflow.authors!)).toBe(before.authors + 2);
    expect(await executions(workflow.tags!)).toBe(before.tags + 2);
    expect(await executions(workflow.comments!)).toBe(before.comments + 2);
    expect(await executions(workflow.details!)).toBe(before.details + 1);
  });

  test('a belongsTo given as an existing key or as an object holding it links without changing the record', async () => {
    const ann = (await ok('POST', 'authors:create', { name: 'ann2' })).data;
    const a = (await ok('POST', 'posts:create', { title: 'by key', author: ann.id })).data;
    expect(a.authorId).toBe(ann.id);
    const b = (await ok('POST', 'posts:create', { title: 'by object', author: { id: ann.id, name: 'renamed?' } })).data;
    expect(b.authorId).toBe(ann.id);
    expect((await ok('GET', `authors:get?filterByTk=${ann.id}`)).data.name).toBe('ann2');
    const c = (await ok('POST', 'posts:create?updateAssociationValues=author', { title: 'updating', author: { id: ann.id, name: 'renamed' } })).data;
    expect(c.author).toMatchObject({ id: ann.id, name: 'renamed' });
    expect((await ok('GET', `authors:get?filterByTk=${ann.id}`)).data.name).toBe('renamed');
  });

  test(':update replaces hasMany, belongsToMany and hasOne sets; what is left out is unlinked, not deleted', async () => {
    const post = (await ok('POST', 'posts:create', { title: 'sets', tags: [{ name: 's1' }, { name: 's2' }], comments: [{ body: 'c1' }, { body: 'c2' }], detail: { text: 'd1' } })).data;
    const [s1] = post.tags.filter((t: Json) => t.name === 's1');
    const [c1, c2] = ['c1', 'c2'].map((b) => post.comments.find((c: Json) => c.body === b));
    const updated = (await ok('POST', `posts:update?filterByTk=${post.id}`, { title: 'sets!', tags: [s1.id, { name: 's3' }], comments: [{ id: c1.id }, { body: 'c3' }], detail: { text: 'd2' } })).data;
    expect(updated[0]).toMatchObject({ title: 'sets!' });
    const got = (await ok('GET', `posts:get?filterByTk=${post.id}&appends=tags,comments,detail`)).data;
    expect(sorted(got.tags)).toEqual(['s1', 's3']);
    expect(sorted(got.comments, 'body')).toEqual(['c1', 'c3']);
    expect(got.detail.text).toBe('d2');
    // Unlinked, still there.
    expect((await ok('GET', `comments:get?filterByTk=${c2.id}`)).data).toMatchObject({ body: 'c2', postId: null });
    expect(await count('tags', { name: 's2' })).toBe(1);
    expect(await count('details', { text: 'd1', postId: { $empty: true } })).toBe(1);

    // Only relations, no column: still one update; null and [] empty the sets.
    await ok('POST', `posts:update?filterByTk=${post.id}`, { tags: null, comments: [], detail: null });
    const empty = (await ok('GET', `posts:get?filterByTk=${post.id}&appends=tags,comments,detail`)).data;
    expect(empty.tags).toEqual([]);
    expect(empty.comments).toEqual([]);
    expect(empty.detail).toBeNull();
  });

  test('one transaction: a bad nested value refuses the whole write and nothing is left behind', async () => {
    const titles = await count('posts', { title: 'doomed' });
    const authors = await count('authors', { name: 'ghost' });
    const res = await call('POST', 'posts:create', { title: 'doomed', author: { name: 'ghost' }, comments: [{ body: 'ok' }, { nope: 1 }] });
    expect(res.status).toBe(400);
    expect(res.body.errors![0].message).toMatch(/unknown field "nope" in collection "comments"/);
    expect(await count('posts', { title: 'doomed' })).toBe(titles);
    expect(await count('authors', { name: 'ghost' })).toBe(authors);
    expect(await count('comments', { body: 'ok' })).toBe(0);

    const unknown = await call('POST', 'posts:create', { title: 'doomed', tags: [987654321] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors![0].message).toMatch(/field "tags": no "tags" record with id 987654321/);
    expect(await count('posts', { title: 'doomed' })).toBe(titles);

    const array = await call('POST', 'posts:create', { title: 'doomed', author: [{ name: 'x' }] });
    expect(array.status).toBe(400);
    expect(array.body.errors![0].message).toMatch(/"author" is a belongsTo relation: its value cannot be an array/);
  });

  test('several records with nested values in one request each get their own related records', async () => {
    const posts = (await ok('POST', 'posts:create', [
      { title: 'm1', comments: [{ body: 'm1a' }, { body: 'm1b' }], tags: [{ name: 'm1t' }] },
      { title: 'm2', comments: [{ body: 'm2a' }], author: { name: 'm2author' } },
    ])).data;
    expect(posts.map((p: Json) => p.title)).toEqual(['m1', 'm2']);
    const listed = (await ok('GET', `posts:list?filter=${q({ title: { $in: ['m1', 'm2'] } })}&appends=comments,tags,author&sort=title`)).data;
    expect(listed.map((p: Json) => [p.title, sorted(p.comments, 'body'), sorted(p.tags), p.author?.name ?? null])).toEqual([
      ['m1', ['m1a', 'm1b'], ['m1t'], null],
      ['m2', ['m2a'], [], 'm2author'],
    ]);
  });

  test('belongsToMany through a collection of its own: nested links are records of it (key and timestamps filled)', async () => {
    await ok('POST', 'collections:create', { name: 'postLabels', fields: [{ name: 'postId', type: 'bigInt' }, { name: 'labelId', type: 'bigInt' }, { name: 'note', type: 'string' }] });
    await ok('POST', 'collections/posts/fields:create', { name: 'labels', type: 'belongsToMany', target: 'tags', through: 'postLabels', foreignKey: 'postId', otherKey: 'labelId' });
    const post = (await ok('POST', 'posts:create', { title: 'labelled', labels: [{ name: 'l1' }, { name: 'l2' }] })).data;
    const links = (await ok('GET', `postLabels:list?filter=${q({ postId: post.id })}`)).data;
    expect(links).toHaveLength(2);
    expect(links[0]).toMatchObject({ id: expect.any(Number), createdAt: expect.any(String) });
    const l3 = (await ok('POST', 'tags:create', { name: 'l3' })).data;
    await ok('POST', `posts/${post.id}/labels:add`, [l3.id]);
    await ok('POST', `posts:update?filterByTk=${post.id}`, { labels: [l3.id] });
    expect(sorted((await ok('GET', `posts:get?filterByTk=${post.id}&appends=labels`)).data.labels)).toEqual(['l3']);
  });

  test('whitelist and blacklist restrict which values are written, also inside relations', async () => {
    const post = (await ok('POST', 'posts:create?whitelist=title,comments&whitelist=comments.body', { title: 'kept', author: { name: 'dropped' }, comments: [{ body: 'b', writer: { name: 'dropped too' } }] })).data;
    expect(post.authorId).toBeNull();
    expect(await count('authors', { name: { $in: ['dropped', 'dropped too'] } })).toBe(0);
    expect(post.comments.map((c: Json) => [c.body, c.writerId])).toEqual([['b', null]]);
    const updated = (await ok('POST', `posts:update?filterByTk=${post.id}&blacklist=title`, { title: 'ignored', author: { name: 'allowed' } })).data[0];
    expect(updated.title).toBe('kept');
    expect(updated.author.name).toBe('allowed');
  });
});
