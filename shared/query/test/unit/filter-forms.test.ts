import { compileFilter } from '../../index';
import { col, lookup, products } from '../support/collections';

const where = (filter: unknown, options = {}) => compileFilter(filter, products, lookup, options);

describe('filter shapes NocoBase clients send', () => {
  test('no filter, an empty object or an empty string is TRUE', () => {
    for (const f of [undefined, null, '', {}, { $and: [] }, { $or: [] }]) expect(where(f)).toEqual({ sql: 'TRUE', params: [] });
  });

  test('short form {"qty": 5} is $eq', () => {
    expect(where({ qty: 5 })).toEqual(where({ qty: { $eq: 5 } }));
  });

  test('{"x": null} is IS NULL', () => {
    expect(where({ title: null })).toEqual({ sql: `${col('title')} IS NULL`, params: [] });
  });

  test('an array value is $in', () => {
    expect(where({ qty: [1, 2] })).toEqual(where({ qty: { $in: [1, 2] } }));
  });

  test('several operators on one field are ANDed', () => {
    expect(where({ qty: { $gt: 1, $lt: 9 } })).toEqual({ sql: `(${col('qty')} > ? AND ${col('qty')} < ?)`, params: [1, 9] });
  });

  test('several fields are ANDed, params in placeholder order', () => {
    expect(where({ qty: 5, title: 'a', active: true })).toEqual({
      sql: `(${col('qty')} = ? AND ${col('title')} = ? AND ${col('active')} = ?)`,
      params: [5, 'a', true],
    });
  });

  test('dotted keys from qs: filter[title.$includes]=x', () => {
    expect(where({ 'title.$includes': 'x' })).toEqual({ sql: `${col('title')} ILIKE ?`, params: ['%x%'] });
  });

  test('$and / $or arrays nest', () => {
    const f = { $or: [{ qty: { $gt: 25 } }, { $and: [{ active: true }, { title: { $startsWith: 'It' } }] }] };
    expect(where(f)).toEqual({
      sql: `(${col('qty')} > ? OR (${col('active')} = ? AND ${col('title')} ILIKE ?))`,
      params: [25, true, 'It%'],
    });
  });

  test('the recorded sample: {"$and":[{"qty":{"$gt":25}},{"active":{"$eq":true}}]}', () => {
    expect(where('{"$and":[{"qty":{"$gt":25}},{"active":{"$eq":true}}]}')).toEqual({
      sql: `(${col('qty')} > ? AND ${col('active')} = ?)`,
      params: [25, true],
    });
  });

  test('$or inside one field', () => {
    expect(where({ qty: { $or: [{ $lt: 1 }, { $gt: 9 }] } })).toEqual({
      sql: `(${col('qty')} < ? OR ${col('qty')} > ?)`,
      params: [1, 9],
    });
  });

  test('$and given as the numeric-key object qs makes of long arrays', () => {
    expect(where({ $and: { 0: { qty: 1 }, 1: { qty: 2 } } }).params).toEqual([1, 2]);
  });

  test('a JSON string is parsed (the raw filter= parameter)', () => {
    expect(where('{"qty":5}')).toEqual(where({ qty: 5 }));
  });

  test('the alias option qualifies columns by the statement\'s alias', () => {
    expect(where({ qty: 5 }, { alias: 'p' }).sql).toBe('"p"."qty" = ?');
  });
});
