import { compileFilter } from '../../index';
import { categories, col, lookup, products } from '../support/collections';

const where = (filter: unknown) => compileFilter(filter, products, lookup);
const cats = '"app_test"."categories"';
const revs = '"app_test"."reviews"';

describe('relation paths', () => {
  test('belongsTo dotted path becomes EXISTS on the target by foreignKey = targetKey', () => {
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

  test('hasMany becomes EXISTS on the target by its foreignKey = this primary key', () => {
    expect(where({ 'reviews.stars': { $gte: 4 } })).toEqual({
      sql: `EXISTS (SELECT 1 FROM ${revs} AS "cb_r1" WHERE "cb_r1"."productId" = ${col('id')} AND "cb_r1"."stars" >= ?)`,
      params: [4],
    });
  });

  test('conditions on one relation side by side hold for the same related row (one subquery)', () => {
    const { sql, params } = where({ 'reviews.stars': 5, 'reviews.body': { $includes: 'good' } });
    expect(sql.match(/EXISTS/g)).toHaveLength(1);
    expect(sql).toContain('("cb_r1"."stars" = ? AND "cb_r1"."body" ILIKE ?)');
    expect(params).toEqual([5, '%good%']);
  });

  test('relation conditions mix with column conditions, params in placeholder order', () => {
    const { sql, params } = where({ 'category.name': 'A', qty: { $gt: 2 }, $or: [{ 'reviews.stars': 1 }, { title: 'x' }] });
    const order = [sql.indexOf('"stars"'), sql.indexOf('"title"'), sql.indexOf('"qty"'), sql.indexOf('"name"')];
    const expected = [1, 'x', 2, 'A'];
    const byPosition = order.map((pos, i) => ({ pos, value: expected[i] })).sort((a, b) => a.pos - b.pos).map((x) => x.value);
    expect(params).toEqual(byPosition);
  });

  test('a relation path through two relations nests subqueries with distinct aliases', () => {
    const { sql, params } = where({ 'category.parent.name': 'Root' });
    expect(sql).toBe(
      `EXISTS (SELECT 1 FROM ${cats} AS "cb_r1" WHERE "cb_r1"."id" = ${col('categoryId')} AND ` +
        `EXISTS (SELECT 1 FROM ${cats} AS "cb_r2" WHERE "cb_r2"."id" = "cb_r1"."parentId" AND "cb_r2"."name" = ?))`,
    );
    expect(params).toEqual(['Root']);
  });

  test('a self-referencing relation qualifies the outer row by the table name', () => {
    const { sql } = compileFilter({ 'parent.name': 'Root' }, categories, lookup);
    expect(sql).toContain(`"cb_r1"."id" = ${cats}."parentId"`);
  });

  test('null / $empty / $notEmpty on a relation test whether a related row exists', () => {
    expect(where({ reviews: null }).sql).toBe(`NOT EXISTS (SELECT 1 FROM ${revs} AS "cb_r1" WHERE "cb_r1"."productId" = ${col('id')})`);
    expect(where({ reviews: { $empty: true } })).toEqual(where({ reviews: null }));
    expect(where({ 'category.$notEmpty': true }).sql).toBe(
      `EXISTS (SELECT 1 FROM ${cats} AS "cb_r1" WHERE "cb_r1"."id" = ${col('categoryId')})`,
    );
  });

  test('$and / $or inside a relation object apply to the target collection', () => {
    const { sql, params } = where({ reviews: { $or: [{ stars: 1 }, { stars: 5 }] } });
    expect(sql).toContain('("cb_r1"."stars" = ? OR "cb_r1"."stars" = ?)');
    expect(params).toEqual([1, 5]);
  });
});
