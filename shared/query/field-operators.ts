import { cbError } from '../errors/index.js';
import type { FieldMeta, FieldType } from './types.js';
import { coerceValue } from './values.js';

/** A compiled piece of a WHERE clause: `?` placeholders in `sql`, their values in `params`, in order. */
export interface Part {
  readonly sql: string;
  readonly params: unknown[];
}

/** Most values one `$in` / `$notIn` list may carry. */
export const MAX_IN_VALUES = 1000;

/** Every operator the compiler knows, on column fields. */
export const FIELD_OPERATORS = [
  '$eq', '$ne', '$in', '$notIn', '$gt', '$gte', '$lt', '$lte',
  '$like', '$includes', '$notIncludes', '$startsWith', '$endsWith',
  '$empty', '$notEmpty', '$isTruly', '$isFalsy',
] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];

const BASIC: readonly FieldOperator[] = ['$eq', '$ne', '$in', '$notIn', '$empty', '$notEmpty'];
const ORDERED: readonly FieldOperator[] = [...BASIC, '$gt', '$gte', '$lt', '$lte'];
const TEXT: readonly FieldOperator[] = [...ORDERED, '$like', '$includes', '$notIncludes', '$startsWith', '$endsWith'];

/** Which operators apply to which column type; password and encrypted fields take none (never filterable). */
const APPLIES: Partial<Record<FieldType, readonly FieldOperator[]>> = {
  string: TEXT,
  text: TEXT,
  uuid: TEXT,
  integer: ORDERED,
  bigInt: ORDERED,
  snowflakeId: ORDERED,
  float: ORDERED,
  double: ORDERED,
  decimal: ORDERED,
  date: ORDERED,
  datetime: ORDERED,
  boolean: [...BASIC, '$isTruly', '$isFalsy'],
  json: ['$eq', '$ne', '$empty', '$notEmpty'],
};

export function isFieldOperator(op: string): op is FieldOperator {
  return (FIELD_OPERATORS as readonly string[]).includes(op);
}

/** Refuses fields that can never appear in a filter (secrets) with a message naming them. */
export function assertFilterable(field: FieldMeta): void {
  if (!APPLIES[field.type]) {
    throw cbError('CB_ERR_VALIDATION', `Field "${field.name}" (${field.type}) cannot be used in a filter`, { field: field.name });
  }
}

/**
 * One operator on one column. `col` is the qualified column. NULL handling follows NocoBase:
 * `$eq: null` is IS NULL, `$ne` / `$notIn` / `$notIncludes` also match NULL rows, `$empty` on text
 * also matches ''.
 */
export function compileOperator(field: FieldMeta, col: string, op: string, operand: unknown): Part {
  if (!isFieldOperator(op)) {
    throw cbError('CB_ERR_VALIDATION', `Unknown filter operator "${op}" on field "${field.name}"`, { field: field.name, operator: op });
  }
  assertFilterable(field);
  if (!APPLIES[field.type]!.includes(op)) {
    throw cbError('CB_ERR_VALIDATION', `Operator ${op} does not apply to field "${field.name}" (${field.type})`, {
      field: field.name,
      operator: op,
    });
  }
  const value = (v: unknown) => coerceValue(field, v, op);
  const slot = field.type === 'json' ? '?::jsonb' : '?';
  const textCol = field.type === 'uuid' ? `${col}::text` : col;
  const isText = field.type === 'string' || field.type === 'text';

  switch (op) {
    case '$eq':
      return operand === null ? { sql: `${col} IS NULL`, params: [] } : { sql: `${col} = ${slot}`, params: [value(operand)] };
    case '$ne':
      return operand === null
        ? { sql: `${col} IS NOT NULL`, params: [] }
        : { sql: `${col} IS DISTINCT FROM ${slot}`, params: [value(operand)] };
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      const sign = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
      return { sql: `${col} ${sign} ?`, params: [value(operand)] };
    }
    case '$in':
    case '$notIn': {
      const items = listOperand(field, op, operand);
      const values = items.filter((v) => v !== null).map(value);
      const withNull = values.length < items.length;
      const list = values.map(() => '?').join(', ');
      if (op === '$in') {
        if (values.length === 0) return { sql: withNull ? `${col} IS NULL` : 'FALSE', params: [] };
        return { sql: withNull ? `(${col} IN (${list}) OR ${col} IS NULL)` : `${col} IN (${list})`, params: values };
      }
      if (values.length === 0) return { sql: withNull ? `${col} IS NOT NULL` : 'TRUE', params: [] };
      return {
        sql: withNull ? `(${col} IS NOT NULL AND ${col} NOT IN (${list}))` : `(${col} IS NULL OR ${col} NOT IN (${list}))`,
        params: values,
      };
    }
    case '$like':
      return { sql: `${textCol} ILIKE ?`, params: [patternText(field, op, operand)] };
    case '$includes':
    case '$notIncludes':
    case '$startsWith':
    case '$endsWith': {
      const texts = Array.isArray(operand) ? operand : [operand];
      if (texts.length === 0) throw badOperand(field, op, 'a string or a non-empty array of strings');
      const patterns = texts.map((t) => {
        const e = escapeLike(patternText(field, op, t));
        return op === '$startsWith' ? `${e}%` : op === '$endsWith' ? `%${e}` : `%${e}%`;
      });
      if (op === '$notIncludes') {
        const each = patterns.map(() => `${textCol} NOT ILIKE ?`).join(' AND ');
        return { sql: `(${col} IS NULL OR (${each}))`, params: patterns };
      }
      const each = patterns.map(() => `${textCol} ILIKE ?`);
      return { sql: each.length === 1 ? each[0]! : `(${each.join(' OR ')})`, params: patterns };
    }
    case '$empty':
      return { sql: isText ? `(${col} IS NULL OR ${col} = '')` : `${col} IS NULL`, params: [] };
    case '$notEmpty':
      return { sql: isText ? `(${col} IS NOT NULL AND ${col} <> '')` : `${col} IS NOT NULL`, params: [] };
    case '$isTruly':
      return { sql: `${col} IS TRUE`, params: [] };
    case '$isFalsy':
      return { sql: `${col} IS NOT TRUE`, params: [] };
  }
}

/** `\`, `%` and `_` are LIKE wildcards (backslash is PostgreSQL's default LIKE escape). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function patternText(field: FieldMeta, op: string, v: unknown): string {
  if (typeof v !== 'string') throw badOperand(field, op, 'a string');
  return v;
}

/** `$in` lists; qs turns long `a[0]=…` lists into objects with numeric keys, accepted as arrays too. */
function listOperand(field: FieldMeta, op: string, operand: unknown): unknown[] {
  const items = asArray(operand);
  if (!items) throw badOperand(field, op, 'an array');
  if (items.length > MAX_IN_VALUES) throw badOperand(field, op, `an array of at most ${MAX_IN_VALUES} values`);
  return items;
}

export function asArray(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object' && Object.keys(v).length > 0 && Object.keys(v).every((k) => /^\d+$/.test(k))) {
    return Object.entries(v as Record<string, unknown>)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, item]) => item);
  }
  return undefined;
}

function badOperand(field: FieldMeta, op: string, expected: string) {
  return cbError('CB_ERR_VALIDATION', `Operator ${op} on field "${field.name}" needs ${expected}`, { field: field.name, operator: op });
}
