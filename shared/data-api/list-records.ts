import type { EntityManager } from '@mikro-orm/postgresql';
import { decodeRow, type CollectionMeta, type RecordValues } from '../data/index.js';
import { compileFields, compileFilter, compileSort, listMeta, pagination } from '../query/index.js';
import type { CollectionLookup } from '../data/types.js';
import { loadAppends } from './appends.js';
import { qualified, runSql } from '../sql/index.js';

export interface ListParams {
  readonly filter?: unknown;
  readonly sort?: unknown;
  readonly fields?: unknown;
  readonly page?: unknown;
  readonly pageSize?: unknown;
  readonly paginate?: unknown;
  readonly appends?: unknown;
}

export interface ListResult {
  readonly data: RecordValues[];
  readonly meta?: ReturnType<typeof listMeta>;
}

/**
 * `<collection>:list` and `:count`: one query for the page and one for the count, every filter value
 * sent as a bound parameter, rows decoded by field type (passwords never, encrypted decrypted).
 */
export async function listRecords(em: EntityManager, meta: CollectionMeta, lookup: CollectionLookup, params: ListParams, aesKey?: Buffer): Promise<ListResult> {
  const table = qualified(meta.schema, meta.table);
  const where = compileFilter(params.filter, meta, lookup);
  const order = compileSort(params.sort, meta);
  const fields = compileFields(params.fields, meta);
  const page = pagination({ page: params.page, pageSize: params.pageSize, paginate: params.paginate });
  const only = params.fields === undefined ? undefined : new Set(fields.names);
  const limit = page ? ` limit ${page.limit} offset ${page.offset}` : '';
  const rows = await runSql(em, `select ${fields.sql} from ${table} where ${where.sql} ${order}${limit}`, where.params);
  const data = rows.rows.map((row) => decodeRow(meta, row, { aesKey }, only));
  await loadAppends(em, meta, lookup, data, params.appends, aesKey);
  if (!page) return { data };
  const counted = await runSql<{ count: string }>(em, `select count(*) as count from ${table} where ${where.sql}`, where.params);
  return { data, meta: listMeta(counted.rows[0]!.count, page.page, page.pageSize) };
}

export async function countRecords(em: EntityManager, meta: CollectionMeta, lookup: CollectionLookup, filter: unknown): Promise<number> {
  const where = compileFilter(filter, meta, lookup);
  const counted = await runSql<{ count: string }>(em, `select count(*) as count from ${qualified(meta.schema, meta.table)} where ${where.sql}`, where.params);
  return Number(counted.rows[0]!.count);
}
