import { compileFilter, MAX_FILTER_CONDITIONS, MAX_FILTER_DEPTH, MAX_FILTER_VALUES } from '../../index';
import { collection, lookup, products, validationMessage } from '../support/collections';

const where = (filter: unknown, options = {}) => compileFilter(filter, products, lookup, options);

describe('bad filters are 400s that name the problem', () => {
  test('an unknown field names the field and the collection', () => {
    expect(validationMessage(() => where({ nope: 1 }))).toBe('Unknown field "nope" in collection "products"');
    expect(validationMessage(() => where({ 'category.nope': 1 }))).toBe('Unknown field "nope" in collection "categories"');
  });

  test('an unknown operator names the operator', () => {
    expect(validationMessage(() => where({ qty: { $regex: '.*' } }))).toContain('"$regex"');
    expect(validationMessage(() => where({ 'qty.$foo': 1 }))).toContain('"$foo"');
    expect(validationMessage(() => where({ $nor: [] }))).toContain('"$nor"');
  });

  test('an operator without a field is refused', () => {
    expect(validationMessage(() => where({ $eq: 1 }))).toContain('needs a field');
  });

  test('an operator that does not apply to the type names both', () => {
    expect(validationMessage(() => where({ qty: { $includes: '1' } }))).toBe('Operator $includes does not apply to field "qty" (integer)');
    expect(validationMessage(() => where({ active: { $gt: true } }))).toContain('(boolean)');
    expect(validationMessage(() => where({ meta: { $in: [1] } }))).toContain('(json)');
  });

  test.each([
    ['qty', 'abc', 'an integer'],
    ['qty', 1.5, 'an integer'],
    ['qty', 2147483648, 'an integer'],
    ['qty', true, 'an integer'],
    ['big', '99999999999999999999', 'an integer (64-bit)'],
    ['big', 2 ** 60, 'an integer (64-bit)'],
    ['price', 'cheap', 'a number'],
    ['price', Infinity, 'a number'],
    ['cost', '1,5', 'a number'],
    ['active', 'yes', 'a boolean'],
    ['active', 1, 'a boolean'],
    ['day', '2024-02-30', 'a date'],
    ['createdAt', 'yesterday', 'a date'],
    ['createdAt', '2024-01-01T25:00:00Z', 'a date'],
    ['code', 'not-a-uuid', 'a UUID'],
    ['title', true, 'a string'],
    ['title', { $eq: [{}] }, 'a string'],
  ])('%s = %p is refused as not %s', (field, value, expected) => {
    const message = validationMessage(() => where({ [field]: value }));
    expect(message).toContain(`"${field}"`);
    expect(message).toContain(expected);
  });

  test('$in / $notIn items are checked (a scalar is a list of one, as NocoBase)', () => {
    expect(validationMessage(() => where({ qty: { $notIn: 'a,b' } }))).toContain('an integer');
    expect(validationMessage(() => where({ qty: { $between: [1] } }))).toContain('[from, to]');
  });

  test('pattern operators need strings', () => {
    expect(validationMessage(() => where({ title: { $includes: 5 } }))).toContain('needs a string');
    expect(validationMessage(() => where({ title: { $like: null } }))).toContain('needs a string');
    expect(validationMessage(() => where({ title: { $startsWith: [] } }))).toContain('non-empty array');
  });

  test('each $in item is type-checked', () => {
    expect(validationMessage(() => where({ qty: { $in: [1, 'x'] } }))).toContain('"qty"');
  });

  test('password and encrypted fields cannot be filtered on', () => {
    expect(validationMessage(() => where({ secret: 'x' }))).toBe('Field "secret" (password) cannot be used in a filter');
    expect(validationMessage(() => where({ token: { $empty: true } }))).toContain('(encrypted) cannot be used in a filter');
  });

  test('a column field has no sub-fields', () => {
    expect(validationMessage(() => where({ 'title.first': 'x' }))).toBe('Field "title" has no sub-field "first"');
  });

  test('a relation needs conditions on its fields, not a scalar or a comparison', () => {
    expect(validationMessage(() => where({ category: 5 }))).toContain('"category.id"');
    expect(validationMessage(() => where({ category: { $eq: 5 } }))).toContain('does not apply to relation "category"');
  });

  test('a relation to a collection the app does not have is refused', () => {
    const orphan = collection('orphans', { id: 'snowflakeId', ghost: { type: 'belongsTo', target: 'ghosts' } });
    expect(validationMessage(() => compileFilter({ 'ghost.id': 1 }, orphan, lookup))).toContain('unknown collection "ghosts"');
  });

  test('malformed JSON and non-object filters are refused', () => {
    expect(validationMessage(() => where('{bad'))).toBe('The filter is not valid JSON');
    expect(validationMessage(() => where(5))).toContain('must be an object');
    expect(validationMessage(() => where([{ qty: 1 }]))).toContain('must be an object');
    expect(validationMessage(() => where({ $and: 'x' }))).toBe('$and needs an array of conditions');
  });
});

describe('abuse limits', () => {
  const nest = (levels: number): unknown => {
    let f: unknown = { qty: 1 };
    for (let i = 0; i < levels; i++) f = { $and: [f] };
    return f;
  };

  test(`nesting deeper than ${MAX_FILTER_DEPTH} levels is refused`, () => {
    expect(() => where(nest(8))).not.toThrow();
    expect(validationMessage(() => where(nest(10)))).toBe(`The filter is nested too deeply (more than ${MAX_FILTER_DEPTH} levels)`);
  });

  test('the depth limit counts relation hops too and can be set per call', () => {
    expect(validationMessage(() => where({ 'category.parent.parent.name': 'x' }, { maxDepth: 3 }))).toContain('nested too deeply');
  });

  test(`more than ${MAX_FILTER_CONDITIONS} conditions are refused`, () => {
    const many = { $or: Array.from({ length: MAX_FILTER_CONDITIONS + 1 }, (_, i) => ({ qty: i })) };
    expect(validationMessage(() => where(many))).toBe(`The filter has too many conditions (more than ${MAX_FILTER_CONDITIONS})`);
    const fine = { $or: Array.from({ length: MAX_FILTER_CONDITIONS }, (_, i) => ({ qty: i })) };
    expect(where(fine).params).toHaveLength(MAX_FILTER_CONDITIONS);
  });

  test('an $or list longer than the condition limit is refused before it is walked', () => {
    const empties = { $or: Array.from({ length: MAX_FILTER_CONDITIONS + 1 }, () => ({})) };
    expect(validationMessage(() => where(empties))).toContain('too many conditions');
  });

  test(`more than ${MAX_FILTER_VALUES} bound values in total are refused`, () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    const big = { $or: Array.from({ length: 11 }, () => ({ qty: { $in: values } })) };
    expect(validationMessage(() => where(big))).toBe(`The filter has too many values (more than ${MAX_FILTER_VALUES})`);
  });

  test('$in lists are capped', () => {
    expect(validationMessage(() => where({ qty: { $in: Array.from({ length: 1001 }, (_, i) => i) } }))).toContain('at most 1000');
  });
});

describe('SQL-injection-shaped input', () => {
  test('a field name carrying SQL is an unknown field, never quoted into SQL', () => {
    expect(validationMessage(() => where({ 'title"; drop table x; --': 1 }))).toContain('Unknown field "title"; drop table x; --"');
    expect(validationMessage(() => where({ 'qty) or (1=1': 1 }))).toContain('Unknown field');
  });

  test('an operator carrying SQL is an unknown operator', () => {
    expect(validationMessage(() => where({ qty: { '$eq = 1 or 1=1 --': 1 } }))).toContain('Unknown filter operator');
  });

  test.each([
    ["' or 1=1 --"],
    ["x'); drop table products; --"],
    ["what?' --"],
    ['$1; select now()'],
    ["\\' or ''='"],
    ['"; drop table x; --'],
  ])('the value %p travels as a parameter and never appears in the SQL', (evil) => {
    for (const f of [{ title: evil }, { title: { $includes: evil } }, { title: { $in: [evil] } }, { 'category.name': evil }]) {
      const { sql, params } = where(f);
      expect(sql).not.toContain(evil);
      expect(params.some((p) => typeof p === 'string' && p.includes(evil))).toBe(true);
      expect(sql.split('?').length - 1).toBe(params.length);
    }
  });

  test('__proto__ keys are unknown fields, not prototype lookups', () => {
    expect(validationMessage(() => where(JSON.parse('{"__proto__": {"qty": 1}}')))).toContain('Unknown field "__proto__"');
    expect(validationMessage(() => where({ constructor: 1 }))).toContain('Unknown field "constructor"');
  });
});
