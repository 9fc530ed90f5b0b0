import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller, type Json } from '../../support/http';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';

/** collections:destroy of a collection relations point at (issue 12 item 7): those relation fields go with it, as NocoBase. */
describe('collections:destroy removes the relation fields that point at it', () => {
  const schema = uniqueSchema('coldestroy');
  let broker: ServiceBroker;
  let base: string;
  let token = '';
  const call = jsonCaller(() => `${base}/`, () => token);
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    expect(res.body.errors).toBeUndefined();
    return res.body;
  };
  const fieldNames = async (collection: string) => (await ok('GET', `collections/${collection}/fields:list?paginate=false`)).data.map((f: Json) => f.name).sort();

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService]);
    broker = node.broker;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data.token;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('belongsTo, hasMany and belongsToMany fields of other collections pointing at it are removed; their data stays', async () => {
    await ok('POST', 'collections:create', { name: 'tags', fields: [{ name: 'name', type: 'string' }] });
    await ok('POST', 'collections:create', { name: 'categories', fields: [{ name: 'name', type: 'string' }] });
    await ok('POST', 'collections:create', {
      name: 'posts',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'category', type: 'belongsTo', target: 'categories' },
        { name: 'tags', type: 'belongsToMany', target: 'tags' },
      ],
    });
    await ok('POST', 'collections/categories/fields:create', { name: 'posts', type: 'hasMany', target: 'posts', foreignKey: 'categoryId' });
    await ok('POST', 'collections/tags/fields:create', { name: 'posts', type: 'belongsToMany', target: 'posts', through: 'postsTags', foreignKey: 'tagId', otherKey: 'postId' });
    const post = (await ok('POST', 'posts:create', { title: 'kept', category: { name: 'c' }, tags: [{ name: 't' }] })).data;

    expect((await ok('POST', 'collections:destroy?filterByTk=posts')).data).toBe(1);
    expect(await fieldNames('categories')).toEqual(['createdAt', 'id', 'name', 'updatedAt']);
    expect(await fieldNames('tags')).toEqual(['createdAt', 'id', 'name', 'updatedAt']);
    expect((await ok('GET', 'categories:list')).data.map((c: Json) => c.name)).toEqual(['c']);
    // The collections still work, and a new collection of that name starts empty (the link table went too).
    expect((await call('GET', 'tags:list?appends=posts')).body.errors![0]!.message).toMatch(/"posts" is not a relation of collection "tags"/);
    expect((await ok('GET', 'tags:list')).data.map((t: Json) => t.name)).toEqual(['t']);
    await ok('POST', 'collections:create', { name: 'posts', fields: [{ name: 'title', type: 'string' }, { name: 'tags', type: 'belongsToMany', target: 'tags' }] });
    expect((await ok('GET', `posts:list?appends=tags`)).data).toEqual([]);
    expect(post.id).toBeDefined();

    // The other direction: destroying the target of posts.tags removes posts.tags.
    expect((await ok('POST', 'collections:destroy?filterByTk=tags')).data).toBe(1);
    expect(await fieldNames('posts')).toEqual(['createdAt', 'id', 'title', 'updatedAt']);
    await ok('POST', 'posts:create', { title: 'still writable' });

    // A belongsTo pointing at it goes with its foreign-key column.
    await ok('POST', 'collections:create', { name: 'notes', fields: [{ name: 'text', type: 'string' }, { name: 'category', type: 'belongsTo', target: 'categories' }] });
    await ok('POST', 'notes:create', { text: 'n', category: { name: 'c2' } });
    expect((await ok('POST', 'collections:destroy?filterByTk=categories')).data).toBe(1);
    expect(await fieldNames('notes')).toEqual(['createdAt', 'id', 'text', 'updatedAt']);
    expect((await ok('GET', 'notes:list')).data.map((n: Json) => [n.text, n.categoryId])).toEqual([['n', undefined]]);
  });
});
