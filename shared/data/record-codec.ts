import { randomBytes, randomUUID } from 'node:crypto';
import { cbError } from '../errors/index.js';
import { hasColumn } from './field-definition.js';
import type { CollectionMeta, FieldMeta } from './types.js';
import { checkValue, decodeForRead, encodeForWrite, isReadable, type CodecOptions } from './values.js';

/**
 * Whole records: a write body checked against the collection (every key must be a writable field)
 * and turned into column parameters; a row read back turned into the API record.
 */

export type RecordValues = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys of a body that are not fields of the collection (to refresh the cache once before refusing). */
export function unknownKeys(meta: CollectionMeta, values: RecordValues): string[] {
  return Object.keys(values).filter((k) => !meta.fields.has(k));
}

export function assertBody(meta: CollectionMeta, body: unknown, index?: number): RecordValues {
  if (!isPlainObject(body)) {
    throw cbError('CB_ERR_VALIDATION', `${index === undefined ? 'the record' : `record ${index}`} must be an object`);
  }
  const unknown = unknownKeys(meta, body);
  if (unknown.length > 0) {
    throw cbError(
      'CB_ERR_VALIDATION',
      `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} in collection "${meta.name}"${index === undefined ? '' : ` (record ${index})`}`,
    );
  }
  return body;
}

/** A primary-key value from a request (`filterByTk` arrives as a string) as the parameter to bind. */
export function primaryKeyParam(meta: CollectionMeta, raw: unknown): unknown {
  const field = meta.fields.get(meta.primaryKey)!;
  let value = raw;
  if (typeof raw === 'string' && field.type === 'integer' && /^-?\d{1,10}$/.test(raw)) value = Number(raw);
  if (typeof raw === 'number' && (field.type === 'string' || field.type === 'uuid')) value = String(raw);
  if (value === null || value === undefined) throw cbError('CB_ERR_VALIDATION', `filterByTk (primary key "${field.name}") is required`);
  try {
    return checkValue({ ...field, allowNull: false }, value);
  } catch {
    throw cbError('CB_ERR_VALIDATION', `filterByTk: ${JSON.stringify(raw)} is not a valid ${field.type} primary key "${field.name}"`);
  }
}

/** The value of a belongsTo given in a body (`author: 3` or `author: {id: 3}`) as its foreign key value. */
function relationValue(field: FieldMeta, value: unknown): unknown {
  if (value === null || !isPlainObject(value)) return value;
  const key = field.targetKey!;
  const extra = Object.keys(value).filter((k) => k !== key);
  if (!(key in value) || extra.length > 0) {
    throw cbError(
      'CB_ERR_VALIDATION',
      `field "${field.name}" must be a key of "${field.target}" or an object with only its "${key}" (nested writes of ${extra.map((k) => `"${k}"`).join(', ') || 'other fields'} are not supported)`,
    );
  }
  return value[key];
}

export interface EncodeContext {
  readonly codec: CodecOptions;
  readonly ids: { next(): number };
  /** ISO time of this write, for createdAt/updatedAt. */
  readonly now: string;
  /** The caller's user id, for createdBy/updatedBy (NocoBase fills them from the signed-in user). */
  readonly userId?: number | string;
  /** The next value of a `sort` field left out (max + 1, as NocoBase). */
  readonly nextSort?: (field: string) => number;
}

/**
 * Column → parameter for one record to insert: the given values, a generated primary key
 * (snowflakeId from `ids`, uuid random; other types must be given), defaults, and timestamps.
 */
/** The foreign-key column of the collection's createdBy / updatedBy relation (NocoBase's `createdById`), if it has one. */
export function userKeyColumn(meta: CollectionMeta, kind: 'createdBy' | 'updatedBy'): string | undefined {
  for (const f of meta.fields.values()) {
    if ((f.type === kind || (f.type === 'belongsTo' && (f.interface === kind || f.name === kind))) && f.foreignKey) return f.foreignKey;
  }
  return undefined;
}

const NANOID_ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict';

/** A value NocoBase fills when none is given: uuid and nanoid (autoFill, default on), createdBy/updatedBy from the caller. */
function autoFill(meta: CollectionMeta, field: FieldMeta, ctx: EncodeContext): unknown {
  const options = field.options ?? {};
  if (options.autoFill === false) return undefined;
  if (field.type === 'uuid') return randomUUID();
  if (field.type === 'nanoid') {
    const alphabet = typeof options.customAlphabet === 'string' && options.customAlphabet.length > 1 ? options.customAlphabet : NANOID_ALPHABET;
    const size = typeof options.size === 'number' && options.size > 0 && options.size <= 255 ? options.size : 21;
    const bytes = randomBytes(size);
    let out = '';
    for (let i = 0; i < size; i++) out += alphabet[bytes[i]! % alphabet.length];
    return out;
  }
  if (ctx.userId !== undefined && (field.name === userKeyColumn(meta, 'createdBy') || field.name === userKeyColumn(meta, 'updatedBy'))) return ctx.userId;
  if (field.type === 'sort' && ctx.nextSort) return ctx.nextSort(field.name);
  return undefined;
}

export async function encodeForInsert(meta: CollectionMeta, values: RecordValues, ctx: EncodeContext): Promise<Map<string, unknown>> {
  const columns = await encodeGiven(meta, values, ctx.codec);
  const pk = meta.fields.get(meta.primaryKey)!;
  if (columns.get(pk.name) === undefined || columns.get(pk.name) === null) {
    if (pk.type === 'snowflakeId') columns.set(pk.name, ctx.ids.next());
    else if (pk.type === 'uuid') columns.set(pk.name, randomUUID());
    else throw cbError('CB_ERR_VALIDATION', `field "${pk.name}" (the primary key of "${meta.name}") is required`);
  }
  for (const field of meta.fields.values()) {
    if (!hasColumn(field) || columns.has(field.name)) continue;
    const filled = autoFill(meta, field, ctx);
    if (filled !== undefined) {
      columns.set(field.name, filled);
    } else if ((field.name === 'createdAt' && meta.timestamps.createdAt) || (field.name === 'updatedAt' && meta.timestamps.updatedAt)) {
      columns.set(field.name, ctx.now);
    } else if (field.defaultValue !== undefined) {
      columns.set(field.name, await encodeForWrite(field, field.defaultValue, ctx.codec));
    } else if (field.allowNull === false) {
      throw cbError('CB_ERR_VALIDATION', `field "${field.name}" is required`);
    }
  }
  return columns;
}

/** Column → parameter for the values of an update (updatedAt set to now unless given; updatedBy to the caller). */
export async function encodeForUpdate(meta: CollectionMeta, values: RecordValues, ctx: EncodeContext): Promise<Map<string, unknown>> {
  const columns = await encodeGiven(meta, values, ctx.codec);
  if (meta.timestamps.updatedAt && meta.fields.has('updatedAt') && !columns.has('updatedAt') && columns.size > 0) columns.set('updatedAt', ctx.now);
  const updatedBy = userKeyColumn(meta, 'updatedBy');
  if (updatedBy && ctx.userId !== undefined && columns.size > 0 && !columns.has(updatedBy)) columns.set(updatedBy, ctx.userId);
  return columns;
}

async function encodeGiven(meta: CollectionMeta, values: RecordValues, codec: CodecOptions): Promise<Map<string, unknown>> {
  const columns = new Map<string, unknown>();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const field = meta.fields.get(name)!;
    if (field.type === 'hasMany') {
      throw cbError('CB_ERR_VALIDATION', `field "${name}" is a hasMany relation: write "${field.foreignKey}" on the "${field.target}" records instead`);
    }
    if (field.type === 'belongsTo') {
      const fk = meta.fields.get(field.foreignKey!)!;
      if (values[fk.name] !== undefined) throw cbError('CB_ERR_VALIDATION', `give either "${name}" or "${fk.name}", not both`);
      columns.set(fk.name, await encodeForWrite({ ...fk, name }, relationValue(field, value), codec));
      continue;
    }
    columns.set(name, await encodeForWrite(field, value, codec));
  }
  return columns;
}

/** The API record of a row: every readable column field (never a password), decoded. */
export function decodeRow(meta: CollectionMeta, row: Record<string, unknown>, codec: CodecOptions, only?: ReadonlySet<string>): RecordValues {
  const record: RecordValues = {};
  for (const field of meta.fields.values()) {
    if (!hasColumn(field) || !isReadable(field) || !(field.name in row)) continue;
    if (only && !only.has(field.name)) continue;
    record[field.name] = decodeForRead(field, row[field.name], codec);
  }
  return record;
}
