import { cbError } from '../errors/index.js';
import { parseDateOperand, type DateOperand } from './date-range.js';
import type { FieldMeta, FieldType } from './types.js';
import { coerceValue } from './values.js';

/** A compiled piece of a WHERE clause: `?` placeholders in `sql`, their values in `params`, in order. */
export interface Part {
  readonly sql: string;
  readonly params: unknown[];
}

/** What operators need from the request: the time zone of date values without their own (minutes east of UTC). */
export interface OperatorEnv {
  readonly offset: number;
  /** For relative date periods (`{type: 'today'}`); default the current time. */
  readonly now?: number;
}

/** Most values one `$in` / `$notIn` list may carry. */
export const MAX_IN_VALUES = 1000;

const TEXT_MATCH = ['$like', '$notLike', '$iLike', '$notILike', '$includes', '$notIncludes', '$startsWith', '$notStartsWith', '$endsWith', '$endWith', '$notEndWith', '$notEndsWith'] as const;
const DATE_OPS = ['$dateOn', '$dateNotOn', '$dateBefore', '$dateNotBefore', '$dateAfter', '$dateNotAfter', '$dateBetween'] as const;
const ARRAY_OPS = ['$match', '$notMatch', '$anyOf', '$noneOf'] as const;

/** Every operator the compiler knows, on column fields (NocoBase's names, `$endsWith` / `$notEndsWith` as aliases). */
export const FIELD_OPERATORS = [
  '$eq', '$ne', '$in', '$notIn', '$gt', '$gte', '$lt', '$lte', '$between', '$notBetween',
  '$is', '$not', '$exists', '$notExists', '$empty', '$notEmpty', '$isTruly', '$isFalsy',
  ...TEXT_MATCH, ...DATE_OPS, ...ARRAY_OPS,
] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];

const BASIC: readonly FieldOperator[] = ['$eq', '$ne', '$in', '$notIn', '$empty', '$notEmpty', '$exists', '$notExists', '$is', '$not'];
const ORDERED: readonly FieldOperator[] = [...BASIC, '$gt', '$gte', '$lt', '$lte', '$between', '$notBetween'];
const TEXT: readonly FieldOperator[] = [...ORDERED, ...TEXT_MATCH];
const DATE: readonly FieldOperator[] = [...ORDERED, ...DATE_OPS];
const JSONISH: readonly FieldOperator[] = ['$eq', '$ne', '$empty', '$notEmpty', '$exists', '$notExists', '$is', '$not', ...ARRAY_OPS];

/** Which operators apply to which column type; password and encrypted fields take none (never filterable). */
const APPLIES: Partial<Record<FieldType, readonly FieldOperator[]>> = {
  string: TEXT,
  text: TEXT,
  uuid: TEXT,
  nanoid: TEXT,
  integer: ORDERED,
  bigInt: ORDERED,
  snowflakeId: ORDERED,
  sort: ORDERED,
  float: ORDERED,
  double: ORDERED,
  decimal: ORDERED,
  date: DATE,
  datetime: DATE,
  datetimeTz: DATE,
  datetimeNoTz: DATE,
  dateOnly: DATE,
  time: ORDERED,
  boolean: [...BASIC, '$isTruly', '$isFalsy'],
  json: JSONISH,
  array: JSONISH,
};

/**
 * Operators whose condition is false (or NULL) whenever the column is NULL. A relation filter made
 * only of such conditions can use an inner join (no NULL-extended row can match).
 */
export function rejectsNull(op: string, operand: unknown): boolean {
  switch (op) {
    case '$eq':
    case '$is':
      return operand !== null && op === '$eq' ? true : operand === true;
    case '$ne':
    case '$not':
    case '$exists':
    case '$notEmpty':
      return op === '$exists' || op === '$notEmpty' || operand === null;
    case '$in':
      return Array.isArray(operand) && !operand.includes(null);
    case '$gt': case '$gte': case '$lt': case '$lte': case '$between': case '$like': case '$iLike': case '$startsWith': case '$endsWith': case '$endWith':
    case '$dateOn': case '$dateBefore': case '$dateAfter': case '$dateNotBefore': case '$dateNotAfter': case '$dateBetween': case '$isTruly': case '$match': case '$anyOf':
      return true;
    case '$includes':
      return operand !== null;
    default:
      return false;
  }
}

export function isFieldOperator(op: string): op is FieldOperator {
  return (FIELD_OPERATORS as readonly string[]).includes(op);
}

/** Refuses fields that can never appear in a filter (secrets) with a message naming them. */
export function assertFilterable(field: FieldMeta): void {
  if (!APPLIES[field.type]) {
    throw cbError('CB_ERR_VALIDATION', `Field "${field.name}" (${field.type}) cannot be used in a filter`, { field: field.name });
  }
}

const isTextType = (t: FieldType) => t === 'string' || t === 'text' || t === 'nanoid';
const isArrayType = (t: FieldType) => t === 'json' || t === 'array';

/**
 * One operator on one column. `col` is the qualified column. NULL handling follows NocoBase:
 * `$eq: null` is IS NULL, `$ne` / `$notIn` / `$notIncludes` also match NULL rows, `$empty` on text
 * also matches '' (on json arrays, an empty array).
 */
export function compileOperator(field: FieldMeta, col: string, op: string, operand: unknown, env: OperatorEnv = { offset: 0 }): Part {
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
  const slot = isArrayType(field.type) ? '?::jsonb' : '?';
  const textCol = isTextType(field.type) ? col : `${col}::text`;
  const isText = isTextType(field.type);

  switch (op) {
    case '$eq':
      if (operand === null) return { sql: `${col} IS NULL`, params: [] };
      if (Array.isArray(operand) && !isArrayType(field.type)) return compileOperator(field, col, '$in', operand, env);
      return { sql: `${col} = ${slot}`, params: [value(operand)] };
    case '$ne':
      if (operand === null) return { sql: `${col} IS NOT NULL`, params: [] };
      if (Array.isArray(operand) && !isArrayType(field.type)) return compileOperator(field, col, '$notIn', operand, env);
      return { sql: `${col} IS DISTINCT FROM ${slot}`, params: [value(operand)] };
    case '$is':
    case '$not': {
      const neg = op === '$not' ? 'NOT ' : '';
      if (operand === null || operand === 'null') return { sql: `${col} IS ${neg}NULL`, params: [] };
      if (field.type === 'boolean' && (typeof operand === 'boolean' || operand === 'true' || operand === 'false')) {
        return { sql: `${col} IS ${neg}${operand === true || operand === 'true' ? 'TRUE' : 'FALSE'}`, params: [] };
      }
      if (op === '$not') return { sql: `${col} <> ${slot}`, params: [value(operand)] };
      throw badOperand(field, op, 'null, true or false');
    }
    case '$exists':
      return { sql: `${col} IS NOT NULL`, params: [] };
    case '$notExists':
      return { sql: `${col} IS NULL`, params: [] };
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      const sign = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
      return { sql: `${col} ${sign} ?`, params: [value(operand)] };
    }
    case '$between':
    case '$notBetween': {
      const items = asArray(operand);
      if (!items || items.length !== 2 || items.includes(null)) throw badOperand(field, op, 'an array of two values [from, to]');
      return { sql: `${col} ${op === '$notBetween' ? 'NOT ' : ''}BETWEEN ? AND ?`, params: items.map(value) };
    }
    case '$in':
    case '$notIn': {
      const items = operand === null || operand === undefined ? [] : (asArray(operand) ?? [operand]);
      if (items.length > MAX_IN_VALUES) throw badOperand(field, op, `an array of at most ${MAX_IN_VALUES} values`);
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
    case '$notLike':
    case '$iLike':
    case '$notILike': {
      const sign = { $like: 'LIKE', $notLike: 'NOT LIKE', $iLike: 'ILIKE', $notILike: 'NOT ILIKE' }[op];
      return { sql: `${textCol} ${sign} ?`, params: [patternText(field, op, operand)] };
    }
    case '$includes':
    case '$notIncludes':
    case '$startsWith':
    case '$notStartsWith':
    case '$endsWith':
    case '$endWith':
    case '$notEndWith':
    case '$notEndsWith': {
      if (operand === null) return { sql: `${col} IS ${op === '$includes' ? '' : 'NOT '}NULL`, params: [] };
      const texts = Array.isArray(operand) ? operand : [operand];
      if (texts.length === 0) throw badOperand(field, op, 'a string or a non-empty array of strings');
      const patterns = texts.map((t) => {
        const e = escapeLike(patternText(field, op, t));
        return op.includes('tarts') ? `${e}%` : op.includes('nd') ? `%${e}` : `%${e}%`;
      });
      const negated = op.startsWith('$not');
      const each = patterns.map(() => `${textCol} ${negated ? 'NOT ILIKE' : 'ILIKE'} ?`);
      if (op === '$notIncludes') return { sql: `(${col} IS NULL OR (${each.join(' AND ')}))`, params: patterns };
      return { sql: each.length === 1 ? each[0]! : `(${each.join(negated ? ' AND ' : ' OR ')})`, params: patterns };
    }
    case '$empty':
      if (isArrayType(field.type)) return { sql: `(${col} IS NULL OR ${col} = '[]'::jsonb OR ${col} = 'null'::jsonb)`, params: [] };
      return { sql: isText ? `(${col} IS NULL OR ${col} = '')` : `${col} IS NULL`, params: [] };
    case '$notEmpty':
      if (isArrayType(field.type)) return { sql: `(${col} IS NOT NULL AND ${col} <> '[]'::jsonb AND ${col} <> 'null'::jsonb)`, params: [] };
      return { sql: isText ? `(${col} IS NOT NULL AND ${col} <> '')` : `${col} IS NOT NULL`, params: [] };
    case '$isTruly':
      return { sql: `${col} IS TRUE`, params: [] };
    case '$isFalsy':
      return { sql: `${col} IS NOT TRUE`, params: [] };
    case '$match':
    case '$notMatch': {
      const items = arrayOperand(field, op, operand);
      const same = `(jsonb_typeof(${col}) = 'array' AND ${col} @> ?::jsonb AND ${col} <@ ?::jsonb)`;
      const json = JSON.stringify(items);
      return op === '$match' ? { sql: same, params: [json, json] } : { sql: `(${col} IS NULL OR NOT ${same})`, params: [json, json] };
    }
    case '$anyOf':
    case '$noneOf': {
      const items = arrayOperand(field, op, operand);
      // `@>` with one-element arrays instead of jsonb's `?|`: `?` is the placeholder character here.
      const any = items.length === 0 ? 'FALSE' : `(jsonb_typeof(${col}) = 'array' AND (${items.map(() => `${col} @> ?::jsonb`).join(' OR ')}))`;
      const params = items.map((i) => JSON.stringify([i]));
      return op === '$anyOf' ? { sql: any, params } : { sql: `(${col} IS NULL OR NOT ${any})`, params };
    }
    default:
      return compileDateOperator(field, col, op as (typeof DATE_OPS)[number], operand, env);
  }
}

/** NocoBase's date operators: a period (day, month, year …) or an instant, in the request's time zone. */
function compileDateOperator(field: FieldMeta, col: string, op: (typeof DATE_OPS)[number], operand: unknown, env: OperatorEnv): Part {
  // Columns without a zone (dateOnly, datetimeNoTz) compare wall clocks: periods are taken in UTC.
  const naive = field.type === 'dateOnly' || field.type === 'datetimeNoTz';
  const parsed: DateOperand = parseDateOperand(operand, naive ? 0 : env.offset, op, field.name, env.now);
  const cast = naive ? '?::timestamp' : '?::timestamptz';
  const bind = (iso: string) => (naive ? iso.replace('T', ' ').replace('Z', '') : iso);
  const cmp = (sign: string, iso: string): Part => ({ sql: `${col} ${sign} ${cast}`, params: [bind(iso)] });
  const range = typeof parsed === 'string' ? undefined : parsed;
  const and = (a: Part, b: Part): Part => ({ sql: `(${a.sql} AND ${b.sql})`, params: [...a.params, ...b.params] });
  const or = (a: Part, b: Part): Part => ({ sql: `(${a.sql} OR ${b.sql})`, params: [...a.params, ...b.params] });
  const upper = (r: { end: string; op: string }) => cmp(r.op.endsWith(']') ? '<=' : '<', r.end);
  const lower = (r: { start: string; op: string }) => cmp(r.op.startsWith('(') ? '>' : '>=', r.start);
  switch (op) {
    case '$dateOn':
      return range ? and(lower(range), upper(range)) : cmp('=', parsed as string);
    case '$dateNotOn':
      return range ? or(cmp(range.op.startsWith('(') ? '<=' : '<', range.start), cmp(range.op.endsWith(']') ? '>' : '>=', range.end)) : { sql: `${col} IS DISTINCT FROM ${cast}`, params: [bind(parsed as string)] };
    case '$dateBefore':
      return cmp('<', range ? range.start : (parsed as string));
    case '$dateNotBefore':
      return cmp('>=', range ? range.start : (parsed as string));
    case '$dateAfter':
      return range ? cmp('>=', range.end) : cmp('>', parsed as string);
    case '$dateNotAfter':
      return range ? cmp('<', range.end) : cmp('<=', parsed as string);
    case '$dateBetween':
      if (!range) throw badOperand(field, op, 'a range [from, to] or a period');
      return and(lower(range), upper(range));
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

function arrayOperand(field: FieldMeta, op: string, operand: unknown): unknown[] {
  const items = asArray(operand) ?? (operand === undefined ? undefined : [operand]);
  if (!items || items.length > MAX_IN_VALUES || items.some((i) => i !== null && typeof i === 'object')) {
    throw badOperand(field, op, `an array of at most ${MAX_IN_VALUES} plain values`);
  }
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
