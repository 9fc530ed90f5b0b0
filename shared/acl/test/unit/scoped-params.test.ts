import { scopedParams, type ScopedCollection } from '../../scoped-params';

const posts: ScopedCollection = {
  primaryKey: 'id',
  fields: new Set(['id', 'title', 'secret', 'author', 'createdAt', 'updatedAt', 'createdById']),
  isRelation: (name) => name === 'author',
};
const own = { createdById: 7 };

describe('scopedParams: a role’s scope and fields merged into a data request (as @nocobase/acl mergeActionParams)', () => {
  test('the scope is ANDed to the filter of reads, from the query string or the JSON body', () => {
    expect(scopedParams({}, 'list', { filter: own, fields: null }, posts).filter).toEqual(own);
    expect(scopedParams({ filter: '{"title":"a"}' }, 'get', { filter: own, fields: null }, posts).filter).toEqual({ $and: [{ title: 'a' }, own] });
    expect(scopedParams({ values: { filter: { title: 'b' } } }, 'list', { filter: own, fields: null }, posts).filter).toEqual({ $and: [{ title: 'b' }, own] });
  });

  test('an update or destroy naming no record stays unaddressed (its body refuses it)', () => {
    expect(scopedParams({ values: { title: 'x' } }, 'update', { filter: own, fields: null }, posts).filter).toBeUndefined();
    expect(scopedParams({ filter: {} }, 'destroy', { filter: own, fields: null }, posts).filter).toEqual({});
    expect(scopedParams({ filterByTk: '3' }, 'destroy', { filter: own, fields: null }, posts).filter).toEqual(own);
  });

  test('view fields: the allowed columns plus key and timestamps; requested ones intersected; appends only allowed relations', () => {
    const limits = { filter: null, fields: ['title', 'author'] };
    expect(scopedParams({}, 'list', limits, posts)).toMatchObject({ fields: ['title', 'id', 'createdAt', 'updatedAt'], appends: [] });
    expect(scopedParams({ fields: 'title,secret,author.name', appends: ['author', 'other'] }, 'get', limits, posts)).toMatchObject({ fields: ['title', 'author.name'], appends: ['author'] });
  });

  test('write fields are a whitelist of values; export columns are filtered and the scope reaches the body', () => {
    const limits = { filter: own, fields: ['title'] };
    expect(scopedParams({ values: { title: 't', secret: 's' } }, 'create', limits, posts).values).toEqual({ title: 't' });
    expect(scopedParams({ values: [{ title: 't', secret: 's' }] }, 'create', limits, posts).values).toEqual([{ title: 't' }]);
    const exported = scopedParams({ values: { columns: [{ dataIndex: ['title'] }, { dataIndex: ['secret'] }] } }, 'export', limits, posts);
    expect(exported.values).toEqual({ columns: [{ dataIndex: ['title'] }], filter: own });
  });
});
