import { cbError } from '../errors/index.js';
import { listMeta, pagination } from '../query/index.js';

type Row = Record<string, unknown>;

/**
 * `collections:list` / `fields:list` as NocoBase answers them: metadata objects filtered, sorted and
 * paged in memory (they are few), with `meta` unless `paginate=false`. The filter takes the operators
 * NocoBase's UI sends on metadata: `$eq $ne $in $notIn $includes $isTruly $isFalsy $exists $notExists`,
 * short forms, `$and` / `$or`; anything else is a 400 naming it.
 */
export function listMetadata(rows: readonly Row[], params: { filter?: unknown; sort?: unknown; page?: unknown; pageSize?: unknown; paginate?: unknown }): { data: Row[]; meta?: ReturnType<typeof listMeta> } {
  const filter = typeof params.filter === 'string' && params.filter !== '' ? parse(params.filter) : params.filter;
  let data = rows.filter((row) => matches(row, filter));
  const sort = typeof params.sort === 'string' ? params.sort.split(',') : Array.isArray(params.sort) ? (params.sort as string[]) : [];
  for (const key of [...sort].reverse().map((s) => s.trim()).filter((s) => s !== '')) {
    const desc = key.startsWith('-');
    const name = desc ? key.slice(1) : key;
    data = [...data].sort((a, b) => String(a[name] ?? '').localeCompare(String(b[name] ?? '')) * (desc ? -1 : 1));
  }
  // Paged by default with `meta`, as NocoBase (its UI sends paginate=false for the full list).
  const page = pagination({ page: params.page, pageSize: params.pageSize, paginate: params.paginate });
  if (!page) return { data };
  return { data: data.slice(page.offset, page.offset + page.limit), meta: listMeta(data.length, page.page, page.pageSize) };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw cbError('CB_ERR_VALIDATION', 'The filter is not valid JSON');
  }
}

function matches(row: Row, filter: unknown): boolean {
  if (filter === undefined || filter === null || filter === '') return true;
  if (typeof filter !== 'object' || Array.isArray(filter)) throw cbError('CB_ERR_VALIDATION', 'A filter must be an object of conditions');
  return Object.entries(filter as Row).every(([key, value]) => {
    if (key === '$and' || key === '$or') {
      const items = Array.isArray(value) ? value : Object.values(value as Row);
      return key === '$and' ? items.every((i) => matches(row, i)) : items.length === 0 || items.some((i) => matches(row, i));
    }
    const [name, op] = key.split('.');
    const actual = row[name!];
    if (op) return compare(actual, op, value);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return Object.entries(value as Row).every(([o, v]) => compare(actual, o, v));
    return compare(actual, Array.isArray(value) ? '$in' : '$eq', value);
  });
}

function compare(actual: unknown, op: string, value: unknown): boolean {
  switch (op) {
    case '$eq':
      return value === null ? actual === null || actual === undefined : actual === value;
    case '$ne':
      return actual !== value;
    case '$in':
      return Array.isArray(value) && value.includes(actual);
    case '$notIn':
      return Array.isArray(value) && !value.includes(actual);
    case '$includes':
      return typeof actual === 'string' && typeof value === 'string' && actual.toLowerCase().includes(value.toLowerCase());
    case '$isTruly':
      return actual === true;
    case '$isFalsy':
      return !actual;
    case '$exists':
    case '$notEmpty':
      return actual !== null && actual !== undefined;
    case '$notExists':
    case '$empty':
      return actual === null || actual === undefined;
    default:
      throw cbError('CB_ERR_VALIDATION', `Operator ${op} is not supported on metadata lists`, { operator: op });
  }
}
