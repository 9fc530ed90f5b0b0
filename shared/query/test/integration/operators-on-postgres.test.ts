import pg from 'pg';
import { compileFilter, compileSort } from '../../index';
import { qualified, toPositional } from '../../../sql/index';
import type { CollectionLookup } from '../../types';
import { collection } from '../support/collections';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../../../test/support/database';
import { requireServices } from '../../../../test/support/services';

/**
 * Every NocoBase operator and relation semantic, run on PostgreSQL: each case asserts the records a
 * user would see (their ids), with NocoBase's documented meaning (its operator source and tests).
 */
describe('NocoBase operators on PostgreSQL: the rows a user sees', () => {
  const schema = uniqueSchema('ops');
  let client: pg.Client;

  const posts = collection(
    'posts',
    {
      id: 'bigInt',
      title: 'string',
      score: 'integer',
      ratio: 'float',
      done: 'boolean',
      at: 'date',
      day: 'dateOnly',
      local: 'datetimeNoTz',
      labels: 'array',
      authorId: { type: 'bigInt', isForeignKey: true },
      author: { type: 'belongsTo', target: 'users' },
      comments: { type: 'hasMany', target: 'comments', foreignKey: 'postId' },
      tags: { type: 'belongsToMany', target: 'tags', through: 'posts_tags', foreignKey: 'postId', otherKey: 'tagId' },
    },
    schema,
  );
  const users = collection('users', { id: 'bigInt', name: 'string' }, schema);
  const comments = collection('comments', { id: 'bigInt', postId: 'bigInt', stars: 'integer', body: 'text' }, schema);
  const tags = collection('tags', { id: 'bigInt', name: 'string' }, schema);
  const all = new Map([posts, users, comments, tags].map((c) => [c.name, c]));
  const lookup: CollectionLookup = (name) => all.get(name);
  const table = qualified(schema, 'posts');

  beforeAll(async () => {
    await requireServices('postgres');
    client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    const s = `"${schema}"`;
    await client.query(`
      create schema ${s};
      create table ${s}.users (id bigint primary key, name varchar(255));
      create table ${s}.tags (id bigint primary key, name varchar(255));
      create table ${s}.posts (id bigint primary key, title varchar(255), score int, ratio float8, done boolean,
        at timestamptz, day date, local timestamp, labels jsonb, "authorId" bigint);
      create table ${s}.comments (id bigint primary key, "postId" bigint, stars int, body text);
      create table ${s}.posts_tags ("postId" bigint, "tagId" bigint);
      insert into ${s}.users values (1, 'Ann'), (2, null);
      insert into ${s}.tags values (1, 'red'), (2, 'blue');
      insert into ${s}.posts values
        (1, 'Hello World', 5, 0.1, true, '2023-01-01T00:00:00.000Z', '2023-01-01', '2023-01-01 10:00:00', '["a","b"]', 1),
        (2, 'hello there', 10, 2.5, false, '2022-12-31T16:00:00.001Z', '2022-12-31', '2022-12-31 23:59:59', '["b"]', 2),
        (3, 'Other', null, null, null, null, null, null, null, null),
        (4, 'world_cup 100%', 20, 3.25, true, '2023-06-15T12:00:00Z', '2023-06-15', '2023-06-15 12:00:00', '[]', 1);
      insert into ${s}.comments values (1, 1, 5, 'good'), (2, 1, 1, 'bad'), (3, 2, 4, null);
      insert into ${s}.posts_tags values (1, 1), (1, 2), (2, 2);
    `);
  });

  afterAll(async () => {
    await client?.end();
    await dropSchemas(schema);
  });

  const ids = async (filter: unknown, timezone?: string, now?: number) => {
    const where = compileFilter(filter, posts, lookup, { timezone, now });
    const rows = await client.query(toPositional(`SELECT ${table}."id" FROM ${table} WHERE ${where.sql} ${compileSort(undefined, posts)}`), [...where.params]);
    return rows.rows.map((r) => Number(r.id));
  };

  test.each<[string, unknown, number[]]>([
    ['$eq with an array is IN', { score: { $eq: [5, 20] } }, [1, 4]],
    ['$ne with an array is NOT IN (NULL rows kept)', { score: { $ne: [5, 20] } }, [2, 3]],
    ['$ne keeps NULL rows', { score: { $ne: 5 } }, [2, 3, 4]],
    ['$in with a scalar', { score: { $in: 10 } }, [2]],
    ['$notIn keeps NULL rows', { score: { $notIn: [5] } }, [2, 3, 4]],
    ['$exists', { score: { $exists: true } }, [1, 2, 4]],
    ['$notExists', { score: { $notExists: true } }, [3]],
    ['$between (inclusive)', { score: { $between: [5, 10] } }, [1, 2]],
    ['$notBetween', { score: { $notBetween: [5, 10] } }, [4]],
    ['$gt on float keeps the digits (double precision)', { ratio: { $gt: 3.2 } }, [4]],
    ['$is null', { done: { $is: null } }, [3]],
    ['$is true', { done: { $is: true } }, [1, 4]],
    ['$not true (IS NOT TRUE)', { done: { $not: true } }, [2, 3]],
    ['$not over a whole condition', { $not: { score: { $gt: 5 } } }, [1]],
    ['$isTruly / $isFalsy', { $or: [{ done: { $isFalsy: true } }] }, [2, 3]],
    ['$like is case-sensitive', { title: { $like: 'hello%' } }, [2]],
    ['$notLike', { title: { $notLike: 'hello%' } }, [1, 3, 4]],
    ['$iLike', { title: { $iLike: 'hello%' } }, [1, 2]],
    ['$notILike', { title: { $notILike: 'hello%' } }, [3, 4]],
    ['$includes is case-insensitive, wildcards literal', { title: { $includes: '100%' } }, [4]],
    ['$includes null is IS NULL', { title: { $includes: null } }, []],
    ['$notIncludes', { title: { $notIncludes: 'hello' } }, [3, 4]],
    ['$startsWith / $notStartsWith', { $and: [{ title: { $startsWith: ['hello', 'world'] } }, { title: { $notStartsWith: 'world' } }] }, [1, 2]],
    ['$endWith (NocoBase name) and $endsWith', { $or: [{ title: { $endWith: 'WORLD' } }, { title: { $endsWith: 'there' } }] }, [1, 2]],
    ['$notEndWith', { title: { $notEndWith: 'world' } }, [2, 3, 4]],
    ['$empty / $notEmpty on a json array', { $or: [{ labels: { $empty: true } }] }, [3, 4]],
    ['$match: the same elements in any order', { labels: { $match: ['b', 'a'] } }, [1]],
    ['$notMatch', { labels: { $notMatch: ['b'] } }, [1, 3, 4]],
    ['$anyOf', { labels: { $anyOf: ['a', 'z'] } }, [1]],
    ['$noneOf keeps NULL', { labels: { $noneOf: ['b'] } }, [3, 4]],
  ])('%s', async (_name, filter, expected) => {
    expect(await ids(filter)).toEqual(expected);
  });

  describe('date operators (a day, month, year or instant, in the request time zone)', () => {
    test.each<[string, unknown, string | undefined, number[]]>([
      ['$dateOn a year, UTC', { at: { $dateOn: '2023' } }, undefined, [1, 4]],
      ['$dateOn a year at +08:00 (value suffix)', { at: { $dateOn: '2023+08:00' } }, undefined, [1, 2, 4]],
      ['$dateOn a day in X-Timezone +08:00', { at: { $dateOn: '2023-01-01' } }, '+08:00', [1, 2]],
      ['$dateOn a day in UTC', { at: { $dateOn: '2023-01-01' } }, undefined, [1]],
      ['$dateOn a month', { at: { $dateOn: '2023-06' } }, undefined, [4]],
      ['$dateOn an instant', { at: { $dateOn: '2023-01-01T00:00:00.000Z' } }, undefined, [1]],
      ['$dateNotOn a day (NULL rows not matched, as NocoBase)', { at: { $dateNotOn: '2023-01-01' } }, undefined, [2, 4]],
      ['$dateBefore a day', { at: { $dateBefore: '2023-01-01' } }, undefined, [2]],
      ['$dateNotBefore a day', { at: { $dateNotBefore: '2023-01-01' } }, undefined, [1, 4]],
      ['$dateAfter a day (after its end)', { at: { $dateAfter: '2023-01-01' } }, undefined, [4]],
      ['$dateNotAfter a day', { at: { $dateNotAfter: '2023-01-01' } }, undefined, [1, 2]],
      ['$dateBetween two days, inclusive', { at: { $dateBetween: ['2022-12-31', '2023-01-01'] } }, undefined, [1, 2]],
      ['$dateBetween as text [a,b)', { at: { $dateBetween: '[2023-01-01,2023-06-15)' } }, undefined, [1]],
      ['dateOnly compares the calendar date, whatever the zone', { day: { $dateOn: '2022-12-31' } }, '+08:00', [2]],
      ['datetimeNoTz compares the wall clock', { local: { $dateOn: '2023-01-01' } }, '-05:00', [1]],
    ])('%s', async (_name, filter, timezone, expected) => {
      expect(await ids(filter, timezone)).toEqual(expected);
    });

    test('relative periods ({type: "thisYear"}) use the time zone and the current time', async () => {
      const now = Date.parse('2023-03-01T00:00:00Z');
      expect(await ids({ at: { $dateOn: { type: 'thisYear' } } }, undefined, now)).toEqual([1, 4]);
      expect(await ids({ at: { $dateOn: { type: 'lastYear' } } }, '+00:00', now)).toEqual([2]);
      expect(await ids({ at: { $dateBefore: { type: 'today' } } }, '+00:00', now)).toEqual([1, 2]);
    });

    test('a bad date value or X-Timezone is a 400 naming it', () => {
      expect(() => compileFilter({ at: { $dateOn: 'soon' } }, posts, lookup)).toThrow(/\$dateOn on field "at" needs a date/);
      expect(() => compileFilter({ at: { $dateOn: '2023' } }, posts, lookup, { timezone: 'Mars/Base' })).toThrow(/X-Timezone/);
    });
  });

  describe('relations as NocoBase joins', () => {
    test.each<[string, unknown, number[]]>([
      ['belongsTo path', { 'author.name': 'Ann' }, [1, 4]],
      ['NULL through a belongsTo also matches records without one', { 'author.name': { $empty: true } }, [2, 3]],
      ['$ne through a belongsTo matches records without one', { 'author.name': { $ne: 'Ann' } }, [2, 3]],
      ['hasMany: conditions in one $and hold for the same comment', { $and: [{ 'comments.stars': 5 }, { 'comments.body': 'bad' }] }, []],
      ['hasMany: the same comment, side by side', { 'comments.stars': { $gte: 4 }, 'comments.body': 'good' }, [1]],
      ['hasMany: $or across comments', { $or: [{ 'comments.stars': 1 }, { 'comments.stars': 4 }] }, [1, 2]],
      ['hasMany: NULL matches records without comments', { 'comments.body': { $empty: true } }, [2, 3, 4]],
      ['hasMany: no related row', { comments: null }, [3, 4]],
      ['belongsToMany path', { 'tags.name': 'blue' }, [1, 2]],
      ['belongsToMany $in', { 'tags.name': { $in: ['red'] } }, [1]],
      ['belongsToMany: no tags', { tags: { $empty: true } }, [3, 4]],
      ['belongsToMany: same tag row for both conditions', { $and: [{ 'tags.name': 'red' }, { 'tags.id': 2 }] }, []],
      ['a column condition and a relation condition together', { score: { $gte: 10 }, 'tags.name': 'blue' }, [2]],
      ['two independent relations', { 'tags.name': 'blue', 'comments.stars': 4 }, [2]],
    ])('%s', async (_name, filter, expected) => {
      expect(await ids(filter)).toEqual(expected);
    });
  });

  describe('sort', () => {
    const order = async (sort: string) => {
      const rows = await client.query(`SELECT ${table}."id" FROM ${table} ${compileSort(sort, posts, { lookup })}`);
      return rows.rows.map((r) => Number(r.id));
    };
    test('NULLs last in both directions', async () => {
      expect(await order('score')).toEqual([1, 2, 4, 3]);
      expect(await order('-score')).toEqual([4, 2, 1, 3]);
    });
    test('by a relation path (author.name), NULLs and missing authors last', async () => {
      expect(await order('author.name')).toEqual([1, 4, 2, 3]);
      expect(await order('-author.name')).toEqual([1, 4, 2, 3]);
    });
    test('a to-many path cannot sort', () => {
      expect(() => compileSort('comments.stars', posts, { lookup })).toThrow(/hasMany relation/);
    });
  });
});
