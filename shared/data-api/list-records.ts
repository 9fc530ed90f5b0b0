import type { EntityManager } from '@mikro-orm/postgresql';
import { decodeRow, hasColumn, type CollectionMeta, type RecordValues } from '../data/index.js';
import { relationLink } from '../data/relation-keys.js';
import type { CollectionLookup, SqlFragment } from '../data/types.js';
import { cbError } from '../errors/index.js';
import { compileFields, compileFilter, compileSort, listMeta, pagination } from '../query/index.js';
import { qualified, quoteIdent, runSql } from '../sql/index.js';
import { appendNames, loadAppends } from './appends.js';
import { targetFilter } from './target-filter.js';

export interface ListParams {
  readonly filter?: unknown;
  readonly filterByTk?: unknown;
  readonly sort?: unknown;
  readonly fields?: unknown;
  readonly except?: unknown;
  readonly page?: unknown;
  readonly pageSize?: unknown;
  readonly paginate?: unknown;
  readonly appends?: unknown;
  /** X-Timezone of the request. */
  readonly timezone?: string;
  /** A condition ANDed to the filter (an association's link to its source record), qualified by the table name. */
  readonly scope?: SqlFragment;
}

export interface ListResult {
  readonly data: RecordValues[];
  readonly meta?: ReturnType<typeof listMeta>;
}

function names(param: string, value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : typeof value === 'object' ? Object.values(value) : String(value).split(',');
  if (list.some((v) => typeof v !== 'string')) throw cbError('CB_ERR_VALIDATION', `${param} must be a comma-separated list or an array of names`, { param });
  return (list as string[]).map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * What to select for `fields` / `except` / `appends`, as NocoBase: relation paths in `fields`
 * (`author.name`) are appends, and the key columns the appends need are read even when `fields`
 * leaves them out (then dropped from the answer).
 */
function selection(meta: CollectionMeta, lookup: CollectionLookup, params: ListParams) {
  const fields = compileFields(params.fields, meta);
  const explicit = params.fields !== undefined && params.fields !== null && params.fields !== '';
  const relationPaths = names('fields', params.fields).filter((f) => fields.relations.includes(f.split('.')[0]!));
  const appends = [...new Set([...appendNames(params.appends), ...relationPaths.map((p) => p.split('.').slice(0, -1).join('.') || p)])].filter((a) => a !== '');
  const except = new Set(names('except', params.except));
  for (const name of except) if (!meta.fields.has(name)) throw cbError('CB_ERR_VALIDATION', `except: unknown field "${name}" in collection "${meta.name}"`);
  const shown = new Set(explicit ? fields.names : [...meta.fields.values()].filter((f) => hasColumn(f) && f.type !== 'password').map((f) => f.name));
  for (const name of except) shown.delete(name);
  const read = new Set(shown);
  for (const path of appends) {
    const field = meta.fields.get(path.split('.')[0]!);
    if (!field || hasColumn(field)) continue;
    const link = relationLink(field, meta, lookup);
    read.add(link.type === 'belongsTo' ? link.foreignKey : link.sourceKey);
  }
  const table = qualified(meta.schema, meta.table);
  const columns = [...read].filter((n) => meta.fields.get(n) && hasColumn(meta.fields.get(n)!) && meta.fields.get(n)!.type !== 'password');
  return { sql: columns.length > 0 ? columns.map((c) => `${table}.${quoteIdent(c)}`).join(', ') : '1 as "cb_none"', shown, read: new Set(columns), appends };
}

/** The column of the page query that carries the count (a name no field can have: fields are identifiers). */
const COUNT_COLUMN = 'cb:count';

/**
 * The page's rows; with `withCount`, the statement also carries the count of every matching row (an
 * uncorrelated subquery PostgreSQL runs once), so a page and its count cost one round trip, read from
 * one snapshot. `count` is undefined when the page is empty (no row to carry it).
 */
async function selectRecords(em: EntityManager, meta: CollectionMeta, lookup: CollectionLookup, params: ListParams, aesKey: Buffer | undefined, limit: string, withCount = false) {
  const table = qualified(meta.schema, meta.table);
  const where = scoped(compileFilter(targetFilter(meta, params.filterByTk, params.filter), meta, lookup, { timezone: params.timezone }), params.scope);
  const order = compileSort(params.sort, meta, { lookup });
  const picked = selection(meta, lookup, params);
  const count = withCount ? `, (select count(*) from ${table} where ${where.sql}) as ${quoteIdent(COUNT_COLUMN)}` : '';
  const rows = await runSql(em, `select ${picked.sql}${count} from ${table} where ${where.sql} ${order}${limit}`, withCount ? [...where.params, ...where.params] : where.params);
  const data = rows.rows.map((row) => decodeRow(meta, row, { aesKey }, picked.read));
  await loadAppends(em, meta, lookup, data, picked.appends, aesKey);
  for (const record of data) for (const key of picked.read) if (!picked.shown.has(key)) delete record[key];
  return { data, where, table, count: withCount ? (rows.rows[0]?.[COUNT_COLUMN] as string | undefined) : undefined };
}

/**
 * `<collection>:list` and `:count`: one query for the page and its count (a second one for the count
 * only when the page is empty), every filter value sent as a bound parameter, rows decoded by field
 * type (passwords never, encrypted decrypted), and one query per relation level of `appends`.
 */
export async function listRecords(em: EntityManager, meta: CollectionMeta, lookup: CollectionLookup, params: ListParams, aesKey?: Buffer): Promise<ListResult> {
  const page = pagination({ page: params.page, pageSize: params.pageSize, paginate: params.paginate });
  const { data, where, table, count } = await selectRecords(em, meta, lookup, params, aesKey, page ? ` limit ${page.limit} offset ${page.offset}` : '', page !== undefined && page !== null);
  if (!page) return { data };
  if (count !== undefined) return { data, meta: listMeta(count, page.page, page.pageSize) };
  const counted = await runSql<{ count: string }>(em, `select count(*) as count from ${table} where ${where.sql}`, where.params);
  return { data, meta: listMeta(counted.rows[0]!.count, page.page, page.pageSize) };
}

/**
 * `<collection>:get`: by `filterByTk`, by `filter` alone, or both ANDed (as NocoBase), with `fields`,
 * `except` and `appends`. The first record in `sort` order, or null.
 */
export async function getRecord(em: EntityManager, meta: CollectionMeta, lookup: CollectionLookup, params: ListParams, aesKey?: Buffer): Promise<RecordValues | null> {
  if (targetFilter(meta, params.filterByTk, params.filter) === undefined && !params.scope) throw cbError('CB_ERR_VALIDATION', 'filterByTk or filter is required');
  const { data } = await selectRecords(em, meta, lookup, params, aesKey, ' limit 1');
  return data[0] ?? null;
}

function scoped(where: SqlFragment, scope: SqlFragment | undefined): SqlFragment {
  return scope ? { sql: `(${where.sql}) AND (${scope.sql})`, params: [...where.params, ...scope.params] } : where;
}

export async function countRecords(em: EntityManager, meta: CollectionMeta, lookup: CollectionLookup, filter: unknown, timezone?: string, scope?: SqlFragment): Promise<number> {
  const where = scoped(compileFilter(filter, meta, lookup, { timezone }), scope);
  const counted = await runSql<{ count: string }>(em, `select count(*) as count from ${qualified(meta.schema, meta.table)} where ${where.sql}`, where.params);
  return Number(counted.rows[0]!.count);
}
