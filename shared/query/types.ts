/**
 * Query compiler: NocoBase list/get parameters (filter, sort, fields, page/pageSize/paginate) turned
 * into parameterised SQL for one collection. Pure functions over collection metadata; no database.
 *
 * Placeholders are `?` (what runSql in shared/sql expects); `toPositional` turns them into `$1…$n`
 * for a bare `pg` client. Every value travels in `params`, never in `sql`.
 */
import type { CollectionLookup, CollectionMeta, FieldMeta, FieldType, SqlFragment } from '../data/types.js';

export type { CollectionLookup, CollectionMeta, FieldMeta, FieldType, SqlFragment };

/** Default rows per page, as NocoBase. */
export const DEFAULT_PAGE_SIZE = 20;
/** Documented maximum pageSize: a larger one is a 400 naming this figure, never silently clamped. */
export const MAX_PAGE_SIZE = 1000;
/** Abuse limits for one filter: nesting of objects/arrays/relation hops, and comparisons in total. */
export const MAX_FILTER_DEPTH = 10;
export const MAX_FILTER_CONDITIONS = 200;
/** Bound values in one filter (a bare `pg` statement takes at most 65,535). */
export const MAX_FILTER_VALUES = 10000;

export interface CompileOptions {
  /**
   * How the statement names the collection's table, used to qualify its columns. Default the
   * schema-qualified table (`"schema"."table"`); pass the alias when the statement gives it one
   * (`FROM "s"."products" AS "p"` → `alias: 'p'`). Columns are always qualified so that relation
   * subqueries can refer to the outer row without ambiguity.
   */
  readonly alias?: string;
}

export interface FilterOptions extends CompileOptions {
  readonly maxDepth?: number;
  readonly maxConditions?: number;
  /** The request's time zone (X-Timezone, `+08:00`) for date values without their own. Default UTC. */
  readonly timezone?: string;
  /** The current time for relative date periods (`{type: 'today'}`); default Date.now(). */
  readonly now?: number;
}

/** `compileFields` result: the columns to select, and relation names the caller should treat as appends. */
export interface SelectedFields {
  /** Field names (= column names) in request order, without duplicates. */
  readonly names: readonly string[];
  /** `"qualifier"."col", …` ready for a SELECT list. */
  readonly sql: string;
  /** Relation fields named in `fields` (`category`, `category.name` → `category`): not columns. */
  readonly relations: readonly string[];
}

export interface PaginationInput {
  readonly page?: unknown;
  readonly pageSize?: unknown;
  readonly paginate?: unknown;
}

export interface Pagination {
  readonly limit: number;
  readonly offset: number;
  readonly page: number;
  readonly pageSize: number;
}

/** NocoBase's list `meta`. */
export interface ListMeta {
  readonly count: number;
  readonly page: number;
  readonly pageSize: number;
  readonly totalPage: number;
}
