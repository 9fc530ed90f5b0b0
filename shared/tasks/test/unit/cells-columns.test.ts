import type { CollectionMeta, FieldMeta } from '../../../data';
import { cellToValue, csvCell, xlsxCell } from '../../cells';
import { parseColumns, resolveColumns } from '../../columns';
import { findHeader } from '../../reader';
import { absolute, safeFileName } from '../../storage';

const field = (name: string, type: FieldMeta['type'], extra: Partial<FieldMeta> = {}): FieldMeta => ({ name, type, key: name, ...extra });

function collection(name: string, fields: FieldMeta[]): CollectionMeta {
  return {
    name,
    schema: 's',
    table: name,
    primaryKey: 'id',
    timestamps: { createdAt: false, updatedAt: false },
    fields: new Map([field('id', 'snowflakeId', { primaryKey: true }), ...fields].map((f) => [f.name, f])),
  };
}

const categories = collection('categories', [field('name', 'string')]);
const products = collection('products', [
  field('title', 'string'),
  field('secret', 'password'),
  field('categoryId', 'bigInt', { isForeignKey: true }),
  field('category', 'belongsTo', { target: 'categories', foreignKey: 'categoryId', targetKey: 'id' }),
  field('reviews', 'hasMany', { target: 'reviews', foreignKey: 'productId', sourceKey: 'id' }),
]);
const reviews = collection('reviews', [field('stars', 'integer'), field('productId', 'bigInt')]);
const lookup = (n: string) => ({ categories, products, reviews })[n];

describe('import cells', () => {
  test('booleans, numbers, dates and empty cells', () => {
    expect(cellToValue(field('a', 'boolean'), 'True')).toBe(true);
    expect(cellToValue(field('a', 'boolean'), 'no')).toBe(false);
    expect(() => cellToValue(field('a', 'boolean'), 'maybe')).toThrow('invalid boolean value "maybe"');
    expect(cellToValue(field('a', 'integer'), '42')).toBe(42);
    expect(() => cellToValue(field('a', 'double'), 'not-a-number')).toThrow('invalid number value "not-a-number"');
    expect(cellToValue(field('a', 'dateOnly'), new Date('2026-11-23T00:00:00Z'))).toBe('2026-11-23');
    expect(cellToValue(field('a', 'date'), new Date('2026-11-23T10:00:00Z'))).toBe('2026-11-23T10:00:00.000Z');
    expect(cellToValue(field('a', 'datetime'), new Date('2026-11-23T10:00:00Z'))).toBe('2026-11-23T10:00:00.000Z');
    expect(cellToValue(field('a', 'string'), '  ')).toBeUndefined();
    expect(cellToValue(field('a', 'string'), 12)).toBe('12');
    expect(cellToValue(field('a', 'string'), { richText: [{ text: 'a' }, { text: 'b' }] })).toBe('ab');
    expect(cellToValue(field('a', 'json'), '{"x":1}')).toEqual({ x: 1 });
  });

  test('export cells keep their types (xlsx) or become text (csv)', () => {
    expect(xlsxCell(field('a', 'boolean'), true)).toBe(true);
    expect(xlsxCell(field('a', 'date'), '2026-11-23')).toEqual(new Date('2026-11-23T00:00:00Z'));
    expect(xlsxCell(field('a', 'datetime'), '2026-11-23 10:00:00+00')).toEqual(new Date('2026-11-23T10:00:00Z'));
    expect(xlsxCell(field('a', 'bigInt'), '12')).toBe(12);
    expect(xlsxCell(field('a', 'decimal'), '1.50')).toBe('1.50');
    expect(xlsxCell(field('a', 'string'), null)).toBeNull();
    expect(csvCell(field('a', 'json'), { a: 1 })).toBe('{"a":1}');
    expect(csvCell(field('a', 'string'), null)).toBe('');
  });
});

describe('columns', () => {
  test('JSON strings, dotted paths, and every readable column by default', () => {
    expect(parseColumns('[{"dataIndex":["title"],"defaultTitle":"T"}]', products)).toEqual([{ dataIndex: ['title'], defaultTitle: 'T', title: undefined, description: undefined }]);
    expect(parseColumns([{ dataIndex: 'category.name' }], products)[0]!.dataIndex).toEqual(['category', 'name']);
    expect(parseColumns(undefined, products).map((c) => c.dataIndex[0])).toEqual(['id', 'title', 'categoryId']);
    expect(() => parseColumns('nope', products)).toThrow('columns must be a JSON array');
  });

  test('relation paths join once per prefix; bad paths name the column', () => {
    const { columns, joins } = resolveColumns(products, lookup, parseColumns([{ dataIndex: ['category', 'name'] }, { dataIndex: ['category', 'id'] }, { dataIndex: ['reviews', 'stars'] }], products));
    expect(joins.match(/left join/g)).toHaveLength(1);
    expect(columns[2]!.sql).toContain('string_agg');
    expect(() => resolveColumns(products, lookup, [{ dataIndex: ['secret'] }])).toThrow('column "secret"');
    expect(() => resolveColumns(products, lookup, [{ dataIndex: ['title', 'x'] }])).toThrow('"title" is not a relation');
    expect(() => resolveColumns(products, lookup, [{ dataIndex: ['category'] }])).toThrow('is a relation');
  });
});

describe('files', () => {
  test('the header row is found below explain rows', () => {
    const rows = [{ line: 1, cells: ['Fill one per row'] }, { line: 2, cells: [] }, { line: 3, cells: ['Price', ' Title '] }];
    expect(findHeader(rows, ['Title', 'Price'])).toEqual({ line: 3, index: [1, 0] });
    expect(findHeader(rows, ['Name'])).toBeNull();
  });

  test('titles become safe file names; stored paths cannot leave STORAGE_PATH', () => {
    expect(safeFileName('../etc/pass:wd', 'csv')).toBe('_etc_pass_wd.csv');
    expect(safeFileName('', 'xlsx')).toBe('export.xlsx');
    expect(absolute('/srv/storage', 'tasks/main/x/a.csv')).toBe('/srv/storage/tasks/main/x/a.csv');
    expect(() => absolute('/srv/storage', '../secrets')).toThrow('leaves STORAGE_PATH');
  });
});
