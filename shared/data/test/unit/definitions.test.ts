import { parseCollectionDefinition } from '../../collection-definition';
import { columnType, parseFieldDefinition } from '../../field-definition';
import { objectName } from '../../sql';
import type { CollectionMeta } from '../../types';

let n = 0;
const key = () => `k${++n}`;
const none = () => undefined;

describe('collection and field definitions', () => {
  test('defaults: generated snowflake id first, then the fields, then createdAt/updatedAt', () => {
    const meta = parseCollectionDefinition({ name: 'products', fields: [{ name: 'title', type: 'string' }] }, 'public', none, key);
    expect([...meta.fields.keys()]).toEqual(['id', 'title', 'createdAt', 'updatedAt']);
    expect(meta.fields.get('id')).toMatchObject({ type: 'snowflakeId', primaryKey: true, allowNull: false, interface: 'snowflakeId' });
    expect(meta.fields.get('createdAt')).toMatchObject({ type: 'datetime', interface: 'createdAt' });
    expect(meta).toMatchObject({ primaryKey: 'id', autoGenId: true, timestamps: { createdAt: true, updatedAt: true }, schema: 'public', table: 'products' });
  });

  test('NocoBase options we do not interpret are kept as given', () => {
    const meta = parseCollectionDefinition({ name: 'p', description: 'd', hidden: false, fields: [{ name: 'x', type: 'string', description: 'fd' }] }, 'public', none, key);
    expect(meta.options).toEqual({ description: 'd', hidden: false });
    expect(meta.fields.get('x')!.options).toEqual({ description: 'fd' });
  });

  test('an own datetime createdAt serves as the timestamp; another type is refused', () => {
    const meta = parseCollectionDefinition({ name: 'p', fields: [{ name: 'createdAt', type: 'datetime', interface: 'createdAt' }] }, 'public', none, key);
    expect([...meta.fields.keys()]).toEqual(['id', 'createdAt', 'updatedAt']);
    expect(() => parseCollectionDefinition({ name: 'p', fields: [{ name: 'createdAt', type: 'string' }] }, 'public', none, key)).toThrow(/must be a datetime/);
  });

  test('primary key rules: one at most, of a key type, and autoGenId false needs one', () => {
    expect(() => parseCollectionDefinition({ name: 'p', autoGenId: false }, 'public', none, key)).toThrow(/needs a primary key/);
    expect(() =>
      parseCollectionDefinition({ name: 'p', fields: [{ name: 'a', type: 'integer', primaryKey: true }, { name: 'b', type: 'integer', primaryKey: true }] }, 'public', none, key),
    ).toThrow(/several primary keys/);
    expect(() => parseCollectionDefinition({ name: 'p', fields: [{ name: 'a', type: 'boolean', primaryKey: true }] }, 'public', none, key)).toThrow(/primary key must be one of/);
    expect(() => parseCollectionDefinition({ name: 'p', autoGenId: true, fields: [{ name: 'a', type: 'integer', primaryKey: true }] }, 'public', none, key)).toThrow(/set autoGenId to false/);
  });

  test('createdBy / updatedBy: true add a belongsTo to users through createdById / updatedById (bigint), as NocoBase', () => {
    const meta = parseCollectionDefinition({ name: 'p', createdBy: true, updatedBy: true }, 'public', none, key);
    expect(meta.fields.get('createdBy')).toMatchObject({ type: 'belongsTo', target: 'users', foreignKey: 'createdById', interface: 'createdBy' });
    expect(meta.fields.get('updatedById')).toMatchObject({ type: 'bigInt', isForeignKey: true });
    const fromUi = parseCollectionDefinition(
      { name: 'q', fields: [{ name: 'createdBy', interface: 'createdBy', type: 'belongsTo', target: 'users', foreignKey: 'createdById' }] },
      'public',
      none,
      key,
    );
    expect(fromUi.fields.get('createdById')).toMatchObject({ type: 'bigInt' });
  });

  test('belongsTo: the foreign key takes the target key\'s type; unknown targets are a 400', () => {
    const countries = parseCollectionDefinition(
      { name: 'countries', autoGenId: false, fields: [{ name: 'code', type: 'string', length: 2, primaryKey: true }] },
      'public',
      none,
      key,
    );
    const lookup = (name: string): CollectionMeta | undefined => (name === 'countries' ? countries : undefined);
    const cities = parseCollectionDefinition({ name: 'cities', fields: [{ name: 'country', type: 'belongsTo', target: 'countries' }] }, 'public', lookup, key);
    expect(cities.fields.get('countryId')).toMatchObject({ type: 'string', length: 2, isForeignKey: true });
    expect(() => parseCollectionDefinition({ name: 'x', fields: [{ name: 'y', type: 'belongsTo', target: 'nowhere' }] }, 'public', lookup, key)).toThrow(
      /target collection "nowhere" does not exist/,
    );
    expect(() => parseCollectionDefinition({ name: 'x', fields: [{ name: 'y', type: 'belongsTo' }] }, 'public', lookup, key)).toThrow(/needs a target/);
  });

  test('field options are type-checked', () => {
    expect(() => parseFieldDefinition({ name: 'a', type: 'integer', length: 5 }, 'c', 'k')).toThrow(/length applies to string fields only/);
    expect(() => parseFieldDefinition({ name: 'a', type: 'decimal', precision: 4, scale: 6 }, 'c', 'k')).toThrow(/scale cannot exceed precision/);
    expect(() => parseFieldDefinition({ name: 'a', type: 'string', unique: 'yes' }, 'c', 'k')).toThrow(/unique must be true or false/);
    expect(() => parseFieldDefinition({ name: 'a', type: 'string', field: 'other' }, 'c', 'k')).toThrow(/column name/);
    expect(() => parseFieldDefinition({ name: '__proto__', type: 'string' }, 'c', 'k')).toThrow(/reserved/);
    expect(() => parseFieldDefinition({ name: 'a', type: 'password', unique: true }, 'c', 'k')).toThrow(/cannot be unique/);
    expect(() => parseFieldDefinition('a', 'c', 'k')).toThrow(/must be an object/);
  });

  test('column types follow the documented mapping', () => {
    expect(columnType(parseFieldDefinition({ name: 'a', type: 'string' }, 'c', 'k'))).toBe('varchar(255)');
    expect(columnType(parseFieldDefinition({ name: 'a', type: 'decimal', precision: 8, scale: 3 }, 'c', 'k'))).toBe('numeric(8,3)');
    expect(columnType(parseFieldDefinition({ name: 'a', type: 'snowflakeId' }, 'c', 'k'))).toBe('int8');
  });

  test('constraint names stay within 63 bytes and distinct', () => {
    const long = 'a'.repeat(60);
    const a = objectName(long, 'columnOne', 'key');
    const b = objectName(long, 'columnTwo', 'key');
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(objectName('t', 'c', 'key')).toBe('t_c_key');
  });
});
