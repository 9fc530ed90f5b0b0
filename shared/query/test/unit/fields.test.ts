import { compileFields } from '../../index';
import { col, products, validationMessage } from '../support/collections';

describe('compileFields', () => {
  test('no fields selects every column field except passwords and relations', () => {
    const { names, relations } = compileFields(undefined, products);
    expect(names).toEqual(['id', 'title', 'notes', 'qty', 'big', 'price', 'cost', 'active', 'day', 'createdAt', 'code', 'meta', 'token', 'categoryId']);
    expect(relations).toEqual([]);
  });

  test('fields=id,title selects those columns in order', () => {
    expect(compileFields('id,title', products)).toEqual({ names: ['id', 'title'], relations: [], sql: `${col('id')}, ${col('title')}` });
    expect(compileFields(['title', 'id', 'title'], products).names).toEqual(['title', 'id']);
  });

  test('relations are not columns: they come back as relations for the caller to append', () => {
    expect(compileFields('id,category,reviews.stars', products)).toEqual({ names: ['id'], relations: ['category', 'reviews'], sql: col('id') });
  });

  test('an unknown field or one carrying SQL is a 400 naming it', () => {
    expect(validationMessage(() => compileFields('id,nope', products))).toBe('Unknown field "nope" in collection "products"');
    expect(validationMessage(() => compileFields('title"; drop table x; --', products))).toContain('Unknown field');
  });

  test('a password field is never selected', () => {
    expect(validationMessage(() => compileFields('id,secret', products))).toBe('Field "secret" (password) cannot be selected');
  });

  test('a column has no sub-fields', () => {
    expect(validationMessage(() => compileFields('title.x', products))).toContain('no sub-field');
  });

  test('the alias option qualifies by alias', () => {
    expect(compileFields('id', products, { alias: 'p' }).sql).toBe('"p"."id"');
  });
});
