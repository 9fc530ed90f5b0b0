import { compileFilter } from '../../index';
import { categories, col, lookup, products } from '../support/collections';

const where = (filter: unknown) => compileFilter(filter, products, lookup);
const cats = '"app_test"."categories"';
const revs = '"app_test"."reviews"';

describe('relation paths (NocoBase join semantics)', () => {
  test('a belongsTo path is an EXISTS over an inner join by foreignKey = targetKey when the condition needs the row', () => {
    expect(where({ 'category.name': { $eq: 'A' } })).toEqual({
      sql: `EXISTS (SELECT 1 FROM ${cats} AS "cb_r1" WHERE "cb_r1"."id" = ${col('categoryId')} AND "cb_r1"."name" = ?)`,
      params: ['A'],
    });
  });

  test('nested object form and dotted operator form compile the same', () => {
    const dotted = where({ 'category.name': { $eq: 'A' } });
    expect(where({ category: { name: { $eq: 'A' } } })).toEqual(dotted);
    expect(where({ 'category.name.$eq': 'A' })).toEqual(dotted);
    expect(where({ category: { 'name.$eq': 'A' } })).toEqual(dotted);
    expect(where({ 'category.name': 'A' })).toEqual(dotted);
  });

  test('a hasMany path joins the target by its foreignKey = this primary key', () => {
    expect(where({ 'reviews.stars': { $gte: 4 } }).sql).toBe(
      `EXISTS (SELECT 1 FROM ${revs} AS "cb_r1" WHERE "cb_r1"."productId" = ${col('id')} AND "cb_r1"."stars" >= ?)`,
    );
  });

  test('a condition that a missing row satisfies uses a LEFT JOIN (records without related rows match)', () => {
    expect(where({ 'category.name': { $empty: true } }).sql).toContain(`LEFT JOIN ${cats} AS "cb_r1"`);
    expect(where({ 'reviews.stars': { $ne: 5 } }).sql).toContain(`LEFT JOIN ${revs} AS "cb_r1"`);
  });

  test('every mention of one relation in the filter is the same related row, also across $and items', () => {
    const side = where({ 'reviews.stars': 5, 'reviews.body': { $includes: 'good' } });
    const anded = where({ $and: [{ 'reviews.stars': 5 }, { 'reviews.body': { $includes: 'good' } }] });
    for (const { sql } of [side, anded]) {
      expect(sql.match(/EXISTS/g)).toHaveLength(1);
      expect(sql.match(/AS "cb_r/g)).toHaveLength(1);
    }
    expect(anded.params).toEqual([5, '%good%']);
  });

  test('conditions on this collection stay outside; independent relations get their own EXISTS', () => {
    const { sql, params } = where({ qty: { $gt: 2 }, 'category.name': 'A', 'reviews.stars': 1 });
    expect(sql.startsWith(`(${col('qty')} > ? AND EXISTS`)).toBe(true);
    expect(sql.match(/EXISTS/g)).toHaveLength(2);
    expect(params).toEqual([2, 'A', 1]);
  });

  test('an $or mixing columns and relations keeps params in placeholder order', () => {
    const { sql, params } = where({ 'category.name': 'A', qty: { $gt: 2 }, $or: [{ 'reviews.stars': 1 }, { title: 'x' }] });
    const order = [sql.indexOf('"stars"'), sql.indexOf('"title"'), sql.indexOf('"qty"'), sql.indexOf('"name"')];
    const expected = [1, 'x', 2, 'A'];
    const byPosition = order.map((pos, i) => ({ pos, value: expected[i] })).sort((a, b) => a.pos - b.pos).map((x) => x.value);
    expect(params).toEqual(byPosition);
  });

  test('a path through two relations chains joins with distinct aliases', () => {
    const { sql, params } = where({ 'category.parent.name': 'Root' });
    expect(sql).toBe(
      `EXISTS (SELECT 1 FROM ${cats} AS "cb_r1" INNER JOIN ${cats} AS "cb_r2" ON "cb_r2"."id" = "cb_r1"."parentId" ` +
        `WHERE "cb_r1"."id" = ${col('categoryId')} AND "cb_r2"."name" = ?)`,
    );
    expect(params).toEqual(['Root']);
  });

  test('a self-referencing relation qualifies the outer row by the table name', () => {
    const { sql } = compileFilter({ 'parent.name': 'Root' }, categories, lookup);
    expect(sql).toContain(`"cb_r1"."id" = ${cats}."parentId"`);
  });

  test('null / $empty / $notEmpty / $exists on a relation test whether a related row exists', () => {
    expect(where({ reviews: null }).sql).toBe(`EXISTS (SELECT 1 FROM (SELECT 1) AS "cb_one" LEFT JOIN ${revs} AS "cb_r1" ON "cb_r1"."productId" = ${col('id')} WHERE "cb_r1"."id" IS NULL)`);
    expect(where({ reviews: { $empty: true } })).toEqual(where({ reviews: null }));
    expect(where({ reviews: { $notExists: true } })).toEqual(where({ reviews: null }));
    expect(where({ 'category.$notEmpty': true }).sql).toBe(
      `EXISTS (SELECT 1 FROM ${cats} AS "cb_r1" WHERE "cb_r1"."id" = ${col('categoryId')} AND "cb_r1"."id" IS NOT NULL)`,
    );
  });

  test('$and / $or inside a relation object apply to the target collection', () => {
    const { sql, params } = where({ reviews: { $or: [{ stars: 1 }, { stars: 5 }] } });
    expect(sql).toContain('("cb_r1"."stars" = ? OR "cb_r1"."stars" = ?)');
    expect(params).toEqual([1, 5]);
  });
});
