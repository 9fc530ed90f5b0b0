import pg from 'pg';
import { ensureDatabase, openDatabase, type Database } from '../../../db/index';
import { compileFields, compileFilter, compileSort, listMeta, pagination } from '../../index';
import type { CollectionLookup } from '../../types';
import { collection } from '../support/collections';
import { dropSchemas, TEST_DATABASE, testDatabaseUrl, uniqueSchema } from '../../../../test/support/database';
import { requireServices } from '../../../../test/support/services';
import { qualified, toPositional } from '../../../sql/index.js';

/**
 * The compiled SQL runs on the real PostgreSQL, through both ways the code base sends SQL: a bare
 * `pg` client (placeholders turned into $n by toPositional) and MikroORM's `em.execute` (`?` as is).
 */
describe('compiled filters, sorts and pages on PostgreSQL', () => {
  const schema = uniqueSchema('qry');
  let client: pg.Client;
  let db: Database;

  const products = collection(
    'products',
    {
      id: 'bigInt',
      title: 'string',
      notes: 'text',
      qty: 'integer',
      big: 'bigInt',
      price: 'double',
      cost: 'decimal',
      active: 'boolean',
      day: 'date',
      createdAt: 'datetime',
      code: 'uuid',
      meta: 'json',
      secret: 'password',
      categoryId: { type: 'bigInt', isForeignKey: true },
      category: { type: 'belongsTo', target: 'categories' },
      reviews: { type: 'hasMany', target: 'reviews', foreignKey: 'productId' },
    },
    schema,
  );
  const categories = collection(
    'categories',
    { id: 'bigInt', name: 'string', parentId: 'bigInt', parent: { type: 'belongsTo', target: 'categories' } },
    schema,
  );
  const reviews = collection('reviews', { id: 'bigInt', productId: 'bigInt', stars: 'integer', body: 'text' }, schema);
  const all = new Map([products, categories, reviews].map((c) => [c.name, c]));
  const lookup: CollectionLookup = (name) => all.get(name);
  const table = qualified(schema, 'products');

  beforeAll(async () => {
    await requireServices('postgres');
    await ensureDatabase(testDatabaseUrl(), TEST_DATABASE);
    client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    const s = `"${schema}"`;
    await client.query(`
      create schema ${s};
      create table ${s}."categories" (id bigint primary key, name varchar(255), "parentId" bigint);
      create table ${s}."products" (
        id bigint primary key, title varchar(255), notes text, qty int, big bigint, price double precision,
        cost numeric(20,6), active boolean, day date, "createdAt" timestamptz, code uuid, meta jsonb,
        secret varchar(255), "categoryId" bigint);
      create table ${s}."reviews" (id bigint primary key, "productId" bigint, stars int, body text);
      insert into ${s}."categories" values (1, 'Root', null), (2, 'Tools', 1), (3, 'Toys', null);
      insert into ${s}."products" values
        (1, 'Widget', 'first', 3, null, 9.5, 1.5, true, '2024-01-10', '2024-01-10T10:00:00Z',
         '3f2504e0-4f89-11d3-9a0c-0305e82c3301', '{"a":1}', 'hash', 2),
        (2, 'Gadget 50%_off', null, 10, null, 20, 2.25, false, '2024-02-01', '2024-02-01T10:00:00Z', null, null, 'hash', 3),
        (3, 'O''Brien''s ?', '', null, null, null, null, null, null, null, null, null, 'hash', null),
        (4, 'widget pro', 'second', 30, 9007199254740993, 99.99, 100, true, '2024-03-01', '2024-03-01T10:00:00Z',
         null, '{"a":2}', 'hash', 2);
      insert into ${s}."reviews" values (1, 1, 5, 'good'), (2, 1, 1, 'bad'), (3, 4, 4, 'ok');
    `);
    db = await openDatabase({ url: testDatabaseUrl(), poolMax: 2, schema });
  });

  afterAll(async () => {
    await db?.close();
    await client?.end();
    await dropSchemas(schema);
  });

  type Runner = (sql: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;
  const runners: [string, Runner][] = [
    ['pg', async (sql, params) => (await client.query(toPositional(sql), [...params])).rows],
    ['em.execute', (sql, params) => db.fork().execute(sql, [...params])],
  ];

  describe.each(runners)('through %s', (_via, run) => {
    const ids = async (filter: unknown) => {
      const where = compileFilter(filter, products, lookup);
      const rows = await run(`SELECT ${table}."id" FROM ${table} WHERE ${where.sql} ${compileSort(undefined, products)}`, where.params);
      return rows.map((r) => Number(r.id));
    };

    test.each<[string, unknown, number[]]>([
      ['$includes is case-insensitive', { title: { $includes: 'WIDGET' } }, [1, 4]],
      ['$includes treats % and _ literally', { title: { $includes: '50%_' } }, [2]],
      ['a quote and ? in a value', { title: "O'Brien's ?" }, [3]],
      ['$startsWith / $endsWith', { $or: [{ title: { $startsWith: 'gad' } }, { title: { $endsWith: 'PRO' } }] }, [2, 4]],
      ['$like pattern as given', { title: { $like: '_idget%' } }, [1, 4]],
      ['range on one field', { qty: { $gt: 5, $lt: 50 } }, [2, 4]],
      ['null is IS NULL', { qty: null }, [3]],
      ['$ne keeps NULL rows', { qty: { $ne: 3 } }, [2, 3, 4]],
      ['$in from qs strings', { qty: { $in: ['3', '30'] } }, [1, 4]],
      ['$notIn keeps NULL rows', { qty: { $notIn: [3] } }, [2, 3, 4]],
      ['$empty on text counts empty strings', { notes: { $empty: true } }, [2, 3]],
      ['$notIncludes keeps NULL rows', { notes: { $notIncludes: 'FIR' } }, [2, 3, 4]],
      ['$isFalsy counts NULL', { active: { $isFalsy: true } }, [2, 3]],
      ['boolean from the query string', { active: 'true' }, [1, 4]],
      ['bigint beyond 2^53', { big: '9007199254740993' }, [4]],
      ['decimal compares exactly', { cost: { $gte: '2.25' } }, [2, 4]],
      ['float', { price: { $lt: '20.5' } }, [1, 2]],
      ['date', { day: { $gte: '2024-02-01' } }, [2, 4]],
      ['datetime with offset (12:00+02:00 is 10:00Z)', { createdAt: { $lte: '2024-02-01T12:00:00+02:00' } }, [1, 2]],
      ['uuid', { code: '3F2504E0-4F89-11D3-9A0C-0305E82C3301' }, [1]],
      ['uuid prefix', { code: { $startsWith: '3f25' } }, [1]],
      ['json equality', { meta: { a: 2 } }, [4]],
      ['belongsTo path', { 'category.name': 'Tools' }, [1, 4]],
      ['belongsTo two hops', { 'category.parent.name': { $eq: 'Root' } }, [1, 4]],
      ['no related row', { category: null }, [3]],
      ['hasMany path', { 'reviews.stars': { $gte: 4 } }, [1, 4]],
      ['hasMany side by side = same review', { 'reviews.stars': 5, 'reviews.body': 'bad' }, []],
      ['hasMany in $and = the same review (NocoBase joins)', { $and: [{ 'reviews.stars': 5 }, { 'reviews.body': 'bad' }] }, []],
      ['hasMany exists', { reviews: { $notEmpty: true } }, [1, 4]],
      ['injection-shaped value matches nothing', { title: "' or 1=1 --" }, []],
      ['injection-shaped pattern matches nothing', { title: { $includes: "'; drop table products; --" } }, []],
      ['empty filter matches everything', {}, [1, 2, 3, 4]],
    ])('%s', async (_name, filter, expected) => {
      expect(await ids(filter)).toEqual(expected);
    });

    test('sort, fields and page together, with the list meta', async () => {
      const where = compileFilter({ qty: { $notEmpty: true } }, products, lookup);
      const page = pagination({ page: '2', pageSize: '2' })!;
      const fields = compileFields('id,title,qty', products);
      const rows = await run(
        `SELECT ${fields.sql} FROM ${table} WHERE ${where.sql} ${compileSort('-qty', products)} LIMIT ? OFFSET ?`,
        [...where.params, page.limit, page.offset],
      );
      expect(rows.map((r) => ({ ...r, id: Number(r.id) }))).toEqual([{ id: 1, title: 'Widget', qty: 3 }]);
      const [{ count }] = (await run(`SELECT count(*) AS count FROM ${table} WHERE ${where.sql}`, where.params)) as [{ count: string }];
      expect(listMeta(count, page.page, page.pageSize)).toEqual({ count: 3, page: 2, pageSize: 2, totalPage: 2 });
    });

    test('the table is untouched by the injection-shaped filters', async () => {
      expect(await ids({})).toEqual([1, 2, 3, 4]);
    });
  });
});
