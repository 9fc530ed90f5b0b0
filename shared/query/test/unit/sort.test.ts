import { compileSort } from '../../index';
import { col, products, validationMessage } from '../support/collections';

describe('compileSort', () => {
  test('no sort orders by the primary key ascending (stable pages)', () => {
    expect(compileSort(undefined, products)).toBe(`ORDER BY ${col('id')} ASC`);
    expect(compileSort('', products)).toBe(`ORDER BY ${col('id')} ASC`);
  });

  test('sort=-qty is descending, with the primary key as tie-breaker', () => {
    expect(compileSort("-qty", products)).toBe(`ORDER BY ${col("qty")} DESC NULLS LAST, ${col("id")} ASC`);
  });

  test('comma lists and arrays (qs sort[]=…) keep their order', () => {
    const expected = `ORDER BY ${col("qty")} ASC, ${col("price")} DESC NULLS LAST, ${col("id")} ASC`;
    expect(compileSort('qty,-price', products)).toBe(expected);
    expect(compileSort(['qty', '-price'], products)).toBe(expected);
    expect(compileSort([' qty ', '-price,'], products)).toBe(expected);
  });

  test('sorting by the primary key itself is not repeated; duplicates are dropped', () => {
    expect(compileSort('-id,qty,qty', products)).toBe(`ORDER BY ${col('id')} DESC, ${col('qty')} ASC`);
  });

  test('the alias option qualifies by alias', () => {
    expect(compileSort('qty', products, { alias: 'p' })).toBe('ORDER BY "p"."qty" ASC, "p"."id" ASC');
  });

  test('unknown, relation, json and secret fields are 400s', () => {
    expect(validationMessage(() => compileSort('-nope', products))).toBe('Unknown sort field "nope" in collection "products"');
    expect(validationMessage(() => compileSort('title"; drop table x; --', products))).toContain('Unknown sort field');
    expect(validationMessage(() => compileSort('category', products))).toContain('(belongsTo) cannot be used to sort');
    expect(validationMessage(() => compileSort('meta', products))).toContain('(json)');
    expect(validationMessage(() => compileSort('secret', products))).toContain('(password)');
    expect(validationMessage(() => compileSort('token', products))).toContain('(encrypted)');
  });

  test('a sort that is not text or a list of text is a 400', () => {
    expect(validationMessage(() => compileSort({ qty: 'desc' }, products))).toContain('sort must be');
    expect(validationMessage(() => compileSort([1], products))).toContain('sort must be');
  });
});
