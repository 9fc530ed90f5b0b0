import { cbError } from '../errors/index.js';
import { assertFieldName } from './names.js';
import type { FieldMeta, FieldType } from './types.js';

export const FIELD_TYPES: readonly FieldType[] = [
  'string',
  'text',
  'integer',
  'bigInt',
  'float',
  'double',
  'decimal',
  'boolean',
  'date',
  'datetime',
  'datetimeTz',
  'datetimeNoTz',
  'dateOnly',
  'time',
  'json',
  'array',
  'uuid',
  'nanoid',
  'snowflakeId',
  'sort',
  'password',
  'encrypted',
  'belongsTo',
  'hasOne',
  'hasMany',
  'belongsToMany',
];

/** Types a primary key may have. */
export const PRIMARY_KEY_TYPES: readonly FieldType[] = ['snowflakeId', 'bigInt', 'integer', 'string', 'uuid', 'nanoid'];

export const DEFAULT_STRING_LENGTH = 255;
export const DEFAULT_PRECISION = 20;
export const DEFAULT_SCALE = 6;

/** Keys of a field definition we interpret; anything else is kept in `options` as given. */
const KNOWN = new Set([
  'name',
  'type',
  'interface',
  'uiSchema',
  'key',
  'primaryKey',
  'unique',
  'allowNull',
  'defaultValue',
  'length',
  'precision',
  'scale',
  'target',
  'foreignKey',
  'targetKey',
  'sourceKey',
  'through',
  'otherKey',
  'isForeignKey',
  'collectionName',
  'field',
  'options',
]);

export function isRelation(field: Pick<FieldMeta, 'type'>): boolean {
  return ['belongsTo', 'hasOne', 'hasMany', 'belongsToMany', 'createdBy', 'updatedBy'].includes(field.type);
}

/** True when the field is a column of the collection's table (a belongsTo's column is its foreign-key field). */
export function hasColumn(field: Pick<FieldMeta, 'type'>): boolean {
  return !isRelation(field);
}

/** The PostgreSQL column type of a column field. */
export function columnType(field: FieldMeta): string {
  switch (field.type) {
    case 'string':
      return `varchar(${field.length ?? DEFAULT_STRING_LENGTH})`;
    case 'text':
    case 'password':
    case 'encrypted':
      return 'text';
    case 'integer':
      return 'int4';
    case 'bigInt':
    case 'snowflakeId':
      return 'int8';
    case 'float':
    case 'double':
      // NocoBase's float is double precision on PostgreSQL (real would lose digits).
      return 'float8';
    case 'sort':
      return 'int8';
    case 'nanoid':
      return `varchar(${field.length ?? DEFAULT_STRING_LENGTH})`;
    case 'time':
      return 'time';
    case 'dateOnly':
      return 'date';
    case 'datetimeNoTz':
      return 'timestamp';
    case 'decimal':
      return `numeric(${field.precision ?? DEFAULT_PRECISION},${field.scale ?? DEFAULT_SCALE})`;
    case 'boolean':
      return 'boolean';
    case 'date':
    case 'datetime':
    case 'datetimeTz':
      // NocoBase's date is an instant (timestamptz); dateOnly is the calendar date.
      return 'timestamptz';
    case 'json':
    case 'array':
      return 'jsonb';
    case 'uuid':
      return 'uuid';
    case 'belongsTo':
    case 'hasOne':
    case 'hasMany':
    case 'belongsToMany':
    case 'createdBy':
    case 'updatedBy':
      throw new Error(`a ${field.type} field has no column of its own`);
  }
}

/** The foreign-key field a belongsTo adds for a target whose primary key is `targetKey`. */
export function foreignKeyField(name: string, targetKey: FieldMeta, key: string): FieldMeta {
  const type: FieldType = targetKey.type === 'snowflakeId' ? 'bigInt' : targetKey.type;
  return {
    name,
    type,
    key,
    interface: type === 'string' || type === 'uuid' ? 'input' : 'integer',
    isForeignKey: true,
    ...(type === 'string' ? { length: targetKey.length ?? DEFAULT_STRING_LENGTH } : {}),
  };
}

function bad(collection: string, name: string, what: string): never {
  throw cbError('CB_ERR_VALIDATION', `field "${name}" of collection "${collection}": ${what}`);
}

function optionalBoolean(def: Record<string, unknown>, prop: string, collection: string, name: string): boolean | undefined {
  const value = def[prop];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') bad(collection, name, `${prop} must be true or false`);
  return value;
}

function optionalInteger(def: Record<string, unknown>, prop: string, min: number, max: number, collection: string, name: string): number | undefined {
  const value = def[prop];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(collection, name, `${prop} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function optionalName(def: Record<string, unknown>, prop: string, collection: string, name: string): string | undefined {
  const value = def[prop];
  if (value === undefined || value === null) return undefined;
  assertFieldName(value, collection, `${prop} of field "${name}"`);
  return value;
}

/**
 * Checks one field definition (a NocoBase `fields:create` body or an entry of `collections:create`'s
 * `fields`) and returns its metadata. It checks the definition alone; the manager checks it against
 * the collection (duplicates, relation targets, one primary key). `key` is the new field's key.
 */
export function parseFieldDefinition(input: unknown, collection: string, key: string): FieldMeta {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw cbError('CB_ERR_VALIDATION', `a field of collection "${collection}" must be an object`);
  }
  const def = input as Record<string, unknown>;
  assertFieldName(def.name, collection);
  const name = def.name;
  if (typeof def.type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(def.type)) {
    bad(collection, name, `unsupported type ${JSON.stringify(def.type)} (supported: ${FIELD_TYPES.join(', ')})`);
  }
  const type = def.type as FieldType;
  if (def.field !== undefined && def.field !== name) bad(collection, name, 'a column name (`field`) other than the field name is not supported');
  if (def.interface !== undefined && def.interface !== null && typeof def.interface !== 'string') bad(collection, name, 'interface must be a string');
  if (def.isForeignKey !== undefined && def.isForeignKey !== null && typeof def.isForeignKey !== 'boolean') bad(collection, name, 'isForeignKey must be true or false');

  const primaryKey = optionalBoolean(def, 'primaryKey', collection, name);
  const unique = optionalBoolean(def, 'unique', collection, name);
  const allowNull = optionalBoolean(def, 'allowNull', collection, name);
  const length = optionalInteger(def, 'length', 1, 10485760, collection, name);
  const precision = optionalInteger(def, 'precision', 1, 1000, collection, name);
  const scale = optionalInteger(def, 'scale', 0, 1000, collection, name);
  if (length !== undefined && type !== 'string' && type !== 'nanoid') bad(collection, name, 'length applies to string fields only');
  if ((precision !== undefined || scale !== undefined) && type !== 'decimal') bad(collection, name, 'precision and scale apply to decimal fields only');
  if (type === 'decimal' && (scale ?? DEFAULT_SCALE) > (precision ?? DEFAULT_PRECISION)) bad(collection, name, 'scale cannot exceed precision');
  if (primaryKey && !PRIMARY_KEY_TYPES.includes(type)) bad(collection, name, `a primary key must be one of ${PRIMARY_KEY_TYPES.join(', ')}`);

  const target = def.target;
  if (isRelation({ type })) {
    if (typeof target !== 'string') bad(collection, name, `a ${type} field needs a target collection`);
    if (primaryKey || unique) bad(collection, name, `a ${type} field cannot be a primary key or unique`);
    if (def.defaultValue !== undefined && def.defaultValue !== null) bad(collection, name, `a ${type} field has no default value`);
  } else {
    for (const prop of ['target', 'foreignKey', 'targetKey', 'sourceKey', 'through', 'otherKey']) {
      if (def[prop] !== undefined && def[prop] !== null) bad(collection, name, `${prop} applies to relation fields only`);
    }
  }
  if (def.onDelete !== undefined && def.onDelete !== null) {
    if (!['belongsTo', 'hasOne', 'hasMany'].includes(type)) bad(collection, name, 'onDelete applies to belongsTo, hasOne and hasMany fields');
    if (typeof def.onDelete !== 'string' || !['set null', 'cascade', 'restrict', 'no action'].includes(def.onDelete.toLowerCase().replace(/_/g, ' '))) {
      bad(collection, name, 'onDelete must be one of SET NULL, CASCADE, RESTRICT, NO ACTION');
    }
  }
  if ((type === 'password' || type === 'encrypted') && (unique || primaryKey)) bad(collection, name, `a ${type} field cannot be unique or a primary key`);

  const options: Record<string, unknown> = {};
  for (const [prop, value] of Object.entries(def)) if (!KNOWN.has(prop)) options[prop] = value;
  if (typeof def.options === 'object' && def.options !== null && !Array.isArray(def.options)) Object.assign(options, def.options);

  const field: FieldMeta = {
    name,
    type,
    key,
    ...(typeof def.interface === 'string' ? { interface: def.interface } : {}),
    ...(def.uiSchema !== undefined ? { uiSchema: def.uiSchema } : {}),
    ...(primaryKey !== undefined ? { primaryKey } : {}),
    ...(unique !== undefined ? { unique } : {}),
    ...(allowNull !== undefined ? { allowNull } : {}),
    ...(def.defaultValue !== undefined && def.defaultValue !== null ? { defaultValue: def.defaultValue } : {}),
    ...(length !== undefined ? { length } : {}),
    ...(precision !== undefined ? { precision } : {}),
    ...(scale !== undefined ? { scale } : {}),
    ...(typeof target === 'string' ? { target } : {}),
    ...(isRelation({ type }) ? relationKeys(def, collection, name) : {}),
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
  return field;
}

function relationKeys(def: Record<string, unknown>, collection: string, name: string): Partial<FieldMeta> {
  const foreignKey = optionalName(def, 'foreignKey', collection, name);
  const targetKey = optionalName(def, 'targetKey', collection, name);
  const sourceKey = optionalName(def, 'sourceKey', collection, name);
  const through = optionalName(def, 'through', collection, name);
  const otherKey = optionalName(def, 'otherKey', collection, name);
  if ((through !== undefined || otherKey !== undefined) && def.type !== 'belongsToMany') bad(collection, name, 'through and otherKey apply to belongsToMany fields only');
  return {
    ...(through !== undefined ? { through } : {}),
    ...(otherKey !== undefined ? { otherKey } : {}),
    ...(foreignKey !== undefined ? { foreignKey } : {}),
    ...(targetKey !== undefined ? { targetKey } : {}),
    ...(sourceKey !== undefined ? { sourceKey } : {}),
  };
}
