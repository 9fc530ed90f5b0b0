import type { CollectionLookup, CollectionMeta, FieldMeta, FieldType } from '../../types';

/** Builds collection metadata for tests: a `{name: type}` map plus optional extras per field. */
export function collection(
  name: string,
  fields: Record<string, FieldType | (Partial<FieldMeta> & { type: FieldType })>,
  schema = 'app_test',
): CollectionMeta {
  const map = new Map<string, FieldMeta>();
  for (const [fieldName, spec] of Object.entries(fields)) {
    const extra = typeof spec === 'string' ? { type: spec } : spec;
    map.set(fieldName, { name: fieldName, key: `k_${fieldName}`, ...extra, primaryKey: fieldName === 'id' || extra.primaryKey });
  }
  return { name, schema, table: name, primaryKey: 'id', timestamps: { createdAt: true, updatedAt: false }, fields: map };
}

export const products = collection('products', {
  id: 'snowflakeId',
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
  token: 'encrypted',
  categoryId: { type: 'bigInt', isForeignKey: true },
  category: { type: 'belongsTo', target: 'categories', foreignKey: 'categoryId' },
  reviews: { type: 'hasMany', target: 'reviews', foreignKey: 'productId' },
});

export const categories = collection('categories', {
  id: 'snowflakeId',
  name: 'string',
  parentId: 'bigInt',
  parent: { type: 'belongsTo', target: 'categories' },
});

export const reviews = collection('reviews', {
  id: 'snowflakeId',
  productId: 'bigInt',
  stars: 'integer',
  body: 'text',
});

const all = new Map([products, categories, reviews].map((c) => [c.name, c]));
export const lookup: CollectionLookup = (name) => all.get(name);

/** `"app_test"."products"."<name>"` */
export const col = (name: string, table = 'products') => `"app_test"."${table}"."${name}"`;

/** Runs `fn`, expects a CB_ERR_VALIDATION (HTTP 400) and returns its message. */
export function validationMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    const e = err as { type?: string; code?: number; message: string };
    expect(e.type).toBe('CB_ERR_VALIDATION');
    expect(e.code).toBe(400);
    return e.message;
  }
  throw new Error('expected a CB_ERR_VALIDATION error, nothing was thrown');
}
