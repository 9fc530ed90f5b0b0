import { permissionAction } from './actions.js';
import type { Filter } from './types.js';

/** What the rewrite needs to know about the collection an action reads or writes. */
export interface ScopedCollection {
  readonly primaryKey: string;
  /** The collection's field names. */
  readonly fields: ReadonlySet<string>;
  /** Is `name` a relation field (read through `appends`, never as a column)? */
  isRelation(name: string): boolean;
}

/** An allowed action's limits (shared/acl Permission without `allowed`). */
export interface ActionLimits {
  readonly filter: Filter | null;
  readonly fields: readonly string[] | null;
}

type Params = Record<string, unknown>;

/** NocoBase adds these to a `view` field list so a record can still be addressed and sorted. */
const ALWAYS_READ = ['createdAt', 'updatedAt'];

/**
 * A data action's params combined with the caller's permission, as @nocobase/acl merges a role's
 * action params into the request (`mergeActionParams`): the scope is ANDed to the filter of every
 * read, update, destroy and export; a field list intersects `fields` and filters `appends` of reads
 * (plus the primary key, createdAt and updatedAt, as plugin-acl) and the columns of an export, and
 * becomes the whitelist of a write's `values` (other keys are ignored, as NocoBase). An update or
 * destroy naming no record is left alone: its body refuses it, the scope must not turn it into "every
 * record in scope".
 */
export function scopedParams(params: Params, action: string, limits: ActionLimits, collection: ScopedCollection): Params {
  const name = permissionAction(action);
  const out: Params = { ...params };
  if (limits.filter && ['view', 'update', 'destroy', 'export'].includes(name)) {
    if (name === 'view' || name === 'export' || addressesRecords(params)) setParam(out, 'filter', andFilter(readParam(params, 'filter'), limits.filter), name === 'export');
  }
  if (!limits.fields) return out;
  const allowed = limits.fields.filter((f) => collection.fields.has(f));
  if (name === 'view') {
    const plain = new Set([...allowed.filter((f) => !collection.isRelation(f)), collection.primaryKey, ...ALWAYS_READ.filter((f) => collection.fields.has(f))]);
    const relations = new Set(allowed.filter((f) => collection.isRelation(f)));
    const requested = names(readParam(params, 'fields'));
    out.fields = requested.length > 0 ? requested.filter((f) => plain.has(head(f)) || relations.has(head(f))) : [...plain];
    const appends = names(readParam(params, 'appends')).filter((a) => relations.has(head(a)));
    out.appends = appends;
  } else if (name === 'export') {
    const columns = parseList(readParam(params, 'columns'));
    if (Array.isArray(columns)) setParam(out, 'columns', columns.filter((c) => allowed.includes(head(columnPath(c)))), true);
  } else if (name === 'create' || name === 'update') {
    out.values = whitelist(params.values, new Set(allowed));
  }
  return out;
}

function head(path: string): string {
  return path.split('.')[0]!;
}

function isObject(v: unknown): v is Params {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A param as the data actions read it: the query string first, then the JSON body (POST :list). */
function readParam(params: Params, key: string): unknown {
  if (params[key] !== undefined) return params[key];
  return isObject(params.values) ? params.values[key] : undefined;
}

/** Sets a param where every reader finds it (the export reads the body first, the lists the query). */
function setParam(out: Params, key: string, value: unknown, inBodyToo: boolean): void {
  out[key] = value;
  if (isObject(out.values) && (inBodyToo || out.values[key] !== undefined)) out.values = { ...out.values, [key]: value };
}

function addressesRecords(params: Params): boolean {
  const tk = params.filterByTk;
  const hasKey = tk !== undefined && tk !== null && tk !== '';
  return hasKey || !isEmpty(parseList(params.filter));
}

function isEmpty(filter: unknown): boolean {
  return filter === undefined || filter === null || filter === '' || (isObject(filter) && Object.keys(filter).length === 0);
}

/** JSON text as clients send it in a query string (`filter={"a":1}`, `columns=[…]`); anything else as is. */
function parseList(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value; // the action reports it
  }
}

/** NocoBase's `andMerge`: both filters must hold. */
function andFilter(raw: unknown, scope: Filter): unknown {
  const parsed = parseList(raw);
  return isEmpty(parsed) ? scope : { $and: [parsed, scope] };
}

function names(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : String(value).split(',');
  return list.map((v) => String(v).trim()).filter((v) => v !== '');
}

/** An export column's path (`dataIndex: ['author', 'name']` or a dotted string). */
function columnPath(column: unknown): string {
  if (!isObject(column)) return '';
  const d = column.dataIndex;
  return Array.isArray(d) ? d.map(String).join('.') : typeof d === 'string' ? d : '';
}

/** Only the allowed keys of a write's values (one record or a list of them). */
function whitelist(values: unknown, allowed: ReadonlySet<string>): unknown {
  if (Array.isArray(values)) return values.map((v) => whitelist(v, allowed));
  if (!isObject(values)) return values;
  return Object.fromEntries(Object.entries(values).filter(([k]) => allowed.has(k)));
}
