import { compileFilter } from '../../index';
import { col, lookup, products } from '../support/collections';

const where = (filter: unknown) => compileFilter(filter, products, lookup);

describe('filter operators on column fields', () => {
  test('$eq binds the value; $eq null is IS NULL', () => {
    expect(where({ qty: { $eq: 5 } })).toEqual({ sql: `${col('qty')} = ?`, params: [5] });
    expect(where({ qty: { $eq: null } })).toEqual({ sql: `${col('qty')} IS NULL`, params: [] });
  });

  test('$ne also matches NULL rows (IS DISTINCT FROM); $ne null is IS NOT NULL', () => {
    expect(where({ title: { $ne: 'a' } })).toEqual({ sql: `${col('title')} IS DISTINCT FROM ?`, params: ['a'] });
    expect(where({ title: { $ne: null } })).toEqual({ sql: `${col('title')} IS NOT NULL`, params: [] });
  });

  test('$gt $gte $lt $lte compare with one bound value each', () => {
    expect(where({ qty: { $gt: 1 } }).sql).toBe(`${col('qty')} > ?`);
    expect(where({ qty: { $gte: 1 } }).sql).toBe(`${col('qty')} >= ?`);
    expect(where({ price: { $lt: 2.5 } })).toEqual({ sql: `${col('price')} < ?`, params: [2.5] });
    expect(where({ createdAt: { $lte: '2024-01-02T03:04:05Z' } })).toEqual({
      sql: `${col('createdAt')} <= ?`,
      params: ['2024-01-02T03:04:05Z'],
    });
  });

  test('$in binds one placeholder per value; an empty list matches nothing; null in the list adds IS NULL', () => {
    expect(where({ qty: { $in: [1, 2, 3] } })).toEqual({ sql: `${col('qty')} IN (?, ?, ?)`, params: [1, 2, 3] });
    expect(where({ qty: { $in: [] } })).toEqual({ sql: 'FALSE', params: [] });
    expect(where({ qty: { $in: [1, null] } })).toEqual({ sql: `(${col('qty')} IN (?) OR ${col('qty')} IS NULL)`, params: [1] });
  });

  test('$notIn keeps NULL rows, an empty list matches everything', () => {
    expect(where({ qty: { $notIn: [1, 2] } })).toEqual({
      sql: `(${col('qty')} IS NULL OR ${col('qty')} NOT IN (?, ?))`,
      params: [1, 2],
    });
    expect(where({ qty: { $notIn: [] } })).toEqual({ sql: 'TRUE', params: [] });
    expect(where({ qty: { $notIn: [null, 3] } }).sql).toBe(`(${col('qty')} IS NOT NULL AND ${col('qty')} NOT IN (?))`);
  });

  test('$in accepts the numeric-key object qs makes of long lists', () => {
    expect(where({ qty: { $in: { 1: '8', 0: '7' } } })).toEqual({ sql: `${col('qty')} IN (?, ?)`, params: [7, 8] });
  });

  test('$like is case-sensitive LIKE with the pattern as given; $iLike is ILIKE (as NocoBase)', () => {
    expect(where({ title: { $like: 'Wid%' } })).toEqual({ sql: `${col('title')} LIKE ?`, params: ['Wid%'] });
    expect(where({ title: { $iLike: 'wid%' } })).toEqual({ sql: `${col('title')} ILIKE ?`, params: ['wid%'] });
    expect(where({ title: { $notLike: 'W%' } }).sql).toBe(`${col('title')} NOT LIKE ?`);
    expect(where({ title: { $notILike: 'w%' } }).sql).toBe(`${col('title')} NOT ILIKE ?`);
  });

  test('$includes is a case-insensitive substring with LIKE wildcards escaped', () => {
    expect(where({ title: { $includes: 'Item' } })).toEqual({ sql: `${col('title')} ILIKE ?`, params: ['%Item%'] });
    expect(where({ title: { $includes: '50%_off\\' } }).params).toEqual(['%50\\%\\_off\\\\%']);
  });

  test('$includes with an array matches any of the strings', () => {
    expect(where({ title: { $includes: ['a', 'b'] } })).toEqual({
      sql: `(${col('title')} ILIKE ? OR ${col('title')} ILIKE ?)`,
      params: ['%a%', '%b%'],
    });
  });

  test('$notIncludes excludes the substring and keeps NULL rows', () => {
    expect(where({ notes: { $notIncludes: 'x' } })).toEqual({
      sql: `(${col('notes')} IS NULL OR (${col('notes')} NOT ILIKE ?))`,
      params: ['%x%'],
    });
  });

  test('$startsWith and $endsWith anchor the escaped text', () => {
    expect(where({ title: { $startsWith: 'It_' } }).params).toEqual(['It\\_%']);
    expect(where({ title: { $endsWith: '%9' } }).params).toEqual(['%\\%9']);
  });

  test('$empty / $notEmpty: text counts \'\' as empty; other types only NULL; the value is ignored', () => {
    expect(where({ title: { $empty: true } })).toEqual({ sql: `(${col('title')} IS NULL OR ${col('title')} = '')`, params: [] });
    expect(where({ title: { $notEmpty: 1 } }).sql).toBe(`(${col('title')} IS NOT NULL AND ${col('title')} <> '')`);
    expect(where({ qty: { $empty: 'anything' } }).sql).toBe(`${col('qty')} IS NULL`);
    expect(where({ qty: { $notEmpty: null } }).sql).toBe(`${col('qty')} IS NOT NULL`);
  });

  test('$isTruly / $isFalsy on booleans (NULL counts as falsy)', () => {
    expect(where({ active: { $isTruly: true } }).sql).toBe(`${col('active')} IS TRUE`);
    expect(where({ active: { $isFalsy: true } }).sql).toBe(`${col('active')} IS NOT TRUE`);
  });

  test('uuid fields compare as uuid and match patterns on their text', () => {
    const id = '3F2504E0-4F89-11D3-9A0C-0305E82C3301';
    expect(where({ code: id })).toEqual({ sql: `${col('code')} = ?`, params: [id.toLowerCase()] });
    expect(where({ code: { $startsWith: '3f25' } }).sql).toBe(`${col('code')}::text ILIKE ?`);
  });

  test('json fields compare as jsonb', () => {
    expect(where({ meta: { $eq: { a: 1 } } })).toEqual({ sql: `${col('meta')} = ?::jsonb`, params: ['{"a":1}'] });
    expect(where({ meta: { a: 1 } })).toEqual({ sql: `${col('meta')} = ?::jsonb`, params: ['{"a":1}'] });
  });
});

describe('filter values are checked against the field type', () => {
  test('integers accept numbers and digit strings (from the query string)', () => {
    expect(where({ qty: '5' }).params).toEqual([5]);
    expect(where({ qty: -3 }).params).toEqual([-3]);
  });

  test('bigInt beyond 2^53 is bound as text so no digits are lost', () => {
    expect(where({ big: '9007199254740993' }).params).toEqual(['9007199254740993']);
    expect(where({ id: 12345 }).params).toEqual([12345]);
  });

  test('float accepts numeric strings as numbers; decimal keeps the text', () => {
    expect(where({ price: '2.50' }).params).toEqual([2.5]);
    expect(where({ cost: '1234567890.123456' }).params).toEqual(['1234567890.123456']);
    expect(where({ cost: 1.5 }).params).toEqual(['1.5']);
  });

  test('booleans accept true/false and "true"/"false"', () => {
    expect(where({ active: true }).params).toEqual([true]);
    expect(where({ active: 'false' }).params).toEqual([false]);
  });

  test('dates accept YYYY-MM-DD and ISO date-times; epoch milliseconds become ISO text', () => {
    expect(where({ day: '2024-02-29' }).params).toEqual(['2024-02-29']);
    expect(where({ createdAt: '2024-02-29T10:00:00.123+02:00' }).params).toEqual(['2024-02-29T10:00:00.123+02:00']);
    expect(where({ createdAt: 0 }).params).toEqual(['1970-01-01T00:00:00.000Z']);
  });
});
