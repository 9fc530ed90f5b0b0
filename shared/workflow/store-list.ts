import { type CollectionMeta } from '../data/index.js';
import { compileFilter, compileSort, listMeta, pagination } from '../query/index.js';
import type { Em } from './types.js';
import { qualified, runSql } from '../sql/index.js';

export interface ListInput {
  readonly filter?: unknown;
  readonly sort?: unknown;
  readonly page?: unknown;
  readonly pageSize?: unknown;
  readonly paginate?: unknown;
}

/** A page of rows of a workflow table with NocoBase's `{data, meta}`; `extra` adds a fixed condition. */
export async function listTable<T>(em: Em, meta: CollectionMeta, input: ListInput, map: (r: Record<string, unknown>) => T, extra?: { sql: string; params: unknown[] }) {
  const table = qualified(meta.schema, meta.table);
  const where = compileFilter(input.filter, meta, () => undefined);
  const cond = extra ? `(${where.sql}) and (${extra.sql})` : where.sql;
  const params = extra ? [...where.params, ...extra.params] : [...where.params];
  const order = compileSort(input.sort, meta);
  const page = pagination({ page: input.page, pageSize: input.pageSize, paginate: input.paginate });
  const limit = page ? ` limit ${page.limit} offset ${page.offset}` : '';
  const { rows } = await runSql<Record<string, unknown>>(em, `select * from ${table} where ${cond} ${order}${limit}`, params);
  const data = rows.map(map);
  if (!page) return { data, cond, params };
  const counted = await runSql<{ count: string }>(em, `select count(*) as count from ${table} where ${cond}`, params);
  return { data, meta: listMeta(counted.rows[0]!.count, page.page, page.pageSize), cond, params };
}
