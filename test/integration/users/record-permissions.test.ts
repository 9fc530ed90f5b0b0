import AsyncTaskApiService = require('../../../services/async-task-api.service');
import type { Json } from '../../support/http';
import { usersNode } from './support';

/**
 * A role's scopes and field permissions (NocoBase's plugin-acl model) applied to the data requests
 * of a signed-in member: lists, gets, counts, association resources, updates, destroys and exports.
 */
describe('record permissions: scopes and field permissions on data requests', () => {
  const users = usersNode('rpm', [AsyncTaskApiService]);
  const { call } = users;
  const signIn = async (account: string, password: string) => (await users.signIn(account, password))!;
  let ann = '';
  let bob = '';
  let annId = 0;
  let category = 0;
  const asAnn = (method: string, path: string, body?: unknown) => call(method, path, body, ann);
  const titles = (rows: Json[]) => rows.map((r: Json) => r.title).sort();

  beforeAll(async () => {
    const ok = async (method: string, path: string, body?: unknown, token?: string) => {
      const res = await call(method, path, body, token);
      expect(res.body.errors).toBeUndefined();
      return res.body.data;
    };
    await ok('POST', '/api/collections:create', { name: 'categories', fields: [{ name: 'title', type: 'string' }] });
    await ok('POST', '/api/collections:create', {
      name: 'posts',
      createdBy: true,
      fields: [
        { name: 'title', type: 'string' },
        { name: 'secret', type: 'string' },
        { name: 'category', type: 'belongsTo', target: 'categories', foreignKey: 'categoryId' },
      ],
    });
    await ok('POST', '/api/collections/categories/fields:create', { name: 'posts', type: 'hasMany', target: 'posts', foreignKey: 'categoryId' });
    category = (await ok('POST', '/api/categories:create', { title: 'news' })).id;

    // `writer`: posts configured — view/update/destroy/export of own records, view shows title and
    // category only, update writes title only; categories through the general strategy (view).
    await ok('POST', '/api/roles:create', { name: 'writer', strategy: { actions: ['view'] } });
    await ok('POST', '/api/roles/writer/dataSourceResources:create', {
      name: 'posts',
      dataSourceKey: 'main',
      usingActionsConfig: true,
      actions: [
        { name: 'view', scopeId: 2, fields: ['title', 'category'] },
        { name: 'create', fields: ['title', 'secret', 'category', 'categoryId'] },
        { name: 'update', scopeId: 2, fields: ['title'] },
        { name: 'destroy', scopeId: 2 },
        { name: 'export', scopeId: 2, fields: ['title'] },
      ],
    });
    annId = (await ok('POST', '/api/users:create', { username: 'ann', password: 'ann-password-1', roles: ['writer'] })).id;
    await ok('POST', '/api/users:create', { username: 'bob', password: 'bob-password-1', roles: ['writer'] });
    ann = await signIn('ann', 'ann-password-1');
    bob = await signIn('bob', 'bob-password-1');
    for (const [title, token] of [['ann-1', ann], ['ann-2', ann], ['bob-1', bob]] as const) {
      await ok('POST', '/api/posts:create', { title, secret: `s-${title}`, categoryId: category }, token);
    }
    await ok('POST', '/api/posts:create', { title: 'root-1', secret: 's-root', categoryId: category });
  });

  test('an own-records scope limits list, get and count; root still sees everything', async () => {
    const listed = await asAnn('GET', '/api/posts:list');
    expect(listed.status).toBe(200);
    expect(titles(listed.body.data)).toEqual(['ann-1', 'ann-2']);
    expect(listed.body.meta).toMatchObject({ count: 2 });
    // The caller's own filter is ANDed with the scope, in the query string or a POST body.
    expect(titles((await asAnn('GET', `/api/posts:list?filter=${encodeURIComponent(JSON.stringify({ title: { $includes: '1' } }))}`)).body.data)).toEqual(['ann-1']);
    expect(titles((await asAnn('POST', '/api/posts:list', { filter: { title: 'bob-1' } })).body.data)).toEqual([]);
    expect((await asAnn('GET', '/api/posts:count')).body.data).toBe(2);

    const bobs = (await call('GET', `/api/posts:list?filter=${encodeURIComponent(JSON.stringify({ title: 'bob-1' }))}`)).body.data[0];
    expect((await asAnn('GET', `/api/posts:get?filterByTk=${bobs.id}`)).body.data).toBeNull();
    expect((await call('GET', '/api/posts:list')).body.meta).toMatchObject({ count: 4 });
  });

  test('a field permission hides the other fields from reads and ignores them on writes', async () => {
    const [first] = (await asAnn('GET', '/api/posts:list?sort=title&appends=category')).body.data;
    expect(first).toMatchObject({ title: 'ann-1', category: { title: 'news' } });
    expect(first).not.toHaveProperty('secret');
    expect(first).toHaveProperty('id');
    // Asked for explicitly, it is still not there.
    const asked = (await asAnn('GET', `/api/posts:get?filterByTk=${first.id}&fields=title,secret`)).body.data;
    expect(asked).toMatchObject({ title: 'ann-1' });
    expect(asked).not.toHaveProperty('secret');
    // A field outside `update`'s list is ignored on write, the allowed one is written.
    expect((await asAnn('POST', `/api/posts:update?filterByTk=${first.id}`, { title: 'ann-1b', secret: 'hacked' })).status).toBe(200);
    const stored = (await call('GET', `/api/posts:get?filterByTk=${first.id}`)).body.data;
    expect(stored).toMatchObject({ title: 'ann-1b', secret: 's-ann-1' });
    await call('POST', `/api/posts:update?filterByTk=${first.id}`, { title: 'ann-1' });
  });

  test('an update outside the scope changes nothing, a destroy is refused; an unaddressed write is still refused', async () => {
    const bobs = (await call('GET', `/api/posts:list?filter=${encodeURIComponent(JSON.stringify({ title: 'bob-1' }))}`)).body.data[0];
    const updated = await asAnn('POST', `/api/posts:update?filterByTk=${bobs.id}`, { title: 'taken' });
    expect(updated.body.data).toEqual([]);
    // A destroy naming a record outside the scope is refused, as plugin-acl does.
    expect((await asAnn('POST', `/api/posts:destroy?filterByTk=${bobs.id}`)).status).toBe(403);
    expect((await asAnn('POST', '/api/posts:update?filter={}', { title: 'all' })).status).toBe(400);
    expect((await call('GET', `/api/posts:get?filterByTk=${bobs.id}`)).body.data).toMatchObject({ title: 'bob-1' });
    // By filter: only the caller's own matching rows.
    const mass = await asAnn('POST', `/api/posts:update?filter=${encodeURIComponent(JSON.stringify({ title: { $includes: '-' } }))}`, { title: 'renamed' });
    expect(mass.body.data).toHaveLength(2);
    expect(titles((await call('GET', '/api/posts:list')).body.data)).toEqual(['bob-1', 'renamed', 'renamed', 'root-1']);
    const own = (await asAnn('GET', '/api/posts:list?sort=id')).body.data;
    await call('POST', `/api/posts:update?filterByTk=${own[0].id}`, { title: 'ann-1' });
    await call('POST', `/api/posts:update?filterByTk=${own[1].id}`, { title: 'ann-2' });
  });

  test('association resources apply the target collection’s scope and fields', async () => {
    const listed = (await asAnn('GET', `/api/categories/${category}/posts:list`)).body.data;
    expect(titles(listed)).toEqual(['ann-1', 'ann-2']);
    expect(listed[0]).not.toHaveProperty('secret');
    expect((await asAnn('GET', `/api/categories/${category}/posts:count`)).body.data).toBe(2);
    expect(titles((await call('GET', `/api/categories/${category}/posts:list`)).body.data)).toHaveLength(4);
    const bobs = (await call('GET', `/api/posts:list?filter=${encodeURIComponent(JSON.stringify({ title: 'bob-1' }))}`)).body.data[0];
    expect((await asAnn('POST', `/api/categories/${category}/posts:update?filterByTk=${bobs.id}`, { title: 'taken' })).body.data).toEqual([]);
    expect((await call('GET', `/api/posts:get?filterByTk=${bobs.id}`)).body.data.title).toBe('bob-1');
  });

  test('an export holds only the caller’s rows and allowed columns', async () => {
    const columns = [{ dataIndex: ['title'], defaultTitle: 'Title' }, { dataIndex: ['secret'], defaultTitle: 'Secret' }];
    const res = await fetch(`${users.origin()}/api/posts:export?format=csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ann}`, 'content-type': 'application/json' },
      body: JSON.stringify({ columns }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('ann-1');
    expect(text).toContain('ann-2');
    expect(text).not.toContain('bob-1');
    expect(text).not.toContain('root-1');
    expect(text).not.toMatch(/Secret|s-ann/);
  });

  test('a role without the action on a configured collection is refused; the scope binds the caller’s own id', async () => {
    expect((await call('POST', '/api/roles:create', { name: 'reader', strategy: { actions: [] } })).body.errors).toBeUndefined();
    expect((await call('POST', '/api/roles/reader/dataSourceResources:create', { name: 'posts', usingActionsConfig: true, actions: [{ name: 'view', scopeId: 2 }] })).body.errors).toBeUndefined();
    expect((await call('POST', `/api/users/${annId}/roles:add`, ['reader'])).body.errors).toBeUndefined();
    const asReader = (method: string, path: string) => fetch(`${users.origin()}${path}`, { method, headers: { authorization: `Bearer ${ann}`, 'x-role': 'reader' } });
    expect((await asReader('POST', '/api/posts:export')).status).toBe(403);
    const listed = (await (await asReader('GET', '/api/posts:list')).json()) as Json;
    expect(listed.errors).toBeUndefined();
    expect(titles(listed.data)).toEqual(['ann-1', 'ann-2']);
    expect(listed.data[0]).toHaveProperty('secret');
  });
});
