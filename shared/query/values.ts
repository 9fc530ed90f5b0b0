import { cbError } from '../errors/index.js';
import type { FieldMeta } from './types.js';

/**
 * Checks a filter value against its field's type and returns what to bind. Strings from the query
 * string (`filter[qty]=5` arrives as "5") are accepted where they spell a valid value; anything else is
 * a 400 naming the field and the expected type, so PostgreSQL never sees a value it would reject
 * with a 500.
 */
export function coerceValue(field: FieldMeta, value: unknown, op: string): unknown {
  const bad = (expected: string): never => {
    throw cbError(
      'CB_ERR_VALIDATION',
      `Filter value for field "${field.name}" (${op}) must be ${expected}, got ${describe(value)}`,
      { field: field.name, operator: op },
    );
  };
  switch (field.type) {
    case 'string':
    case 'text':
    case 'nanoid':
      // NocoBase compares a string field with the text of a number (`$eq: 5` matches "5").
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      return typeof value === 'string' ? value : bad('a string');
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : bad('a UUID');
    case 'integer': {
      const n = integer(value);
      return n !== undefined && n >= -2147483648n && n <= 2147483647n ? Number(n) : bad('an integer (32-bit)');
    }
    case 'bigInt':
    case 'sort':
    case 'snowflakeId': {
      const n = integer(value);
      if (n === undefined || n < -9223372036854775808n || n > 9223372036854775807n) return bad('an integer (64-bit)');
      // Beyond 2^53 a JS number has already lost digits; such values are bound as strings.
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
    }
    case 'float':
    case 'double':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && NUMERIC.test(value.trim()) && Number.isFinite(Number(value))) return Number(value);
      return bad('a number');
    case 'decimal':
      // Kept as text so no precision is lost on the way to numeric.
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value === 'string' && NUMERIC.test(value.trim())) return value.trim();
      return bad('a number');
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return bad('a boolean');
    case 'date':
    case 'datetime':
    case 'datetimeTz':
    case 'dateOnly':
    case 'datetimeNoTz':
      return dateValue(value) ?? bad('a date (YYYY-MM-DD or ISO 8601 date-time)');
    case 'time':
      return typeof value === 'string' && TIME.test(value.trim()) ? value.trim() : bad('a time (HH:mm:ss)');
    case 'array':
    case 'json':
      return JSON.stringify(value);
    default:
      return bad('a plain value (this field cannot be compared)');
  }
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d{1,20}$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

function integer(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && INTEGER.test(value.trim())) return BigInt(value.trim());
  return undefined;
}

/** A date PostgreSQL will parse the same way: ISO text passed through, epoch milliseconds as ISO. */
function dateValue(value: unknown): string | undefined {
  if (typeof value === 'number') {
    const d = new Date(value);
    return Number.isFinite(value) && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, day);
  if (year < 1 || probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return undefined;
  return text;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
