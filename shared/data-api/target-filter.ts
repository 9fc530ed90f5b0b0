import { cbError } from '../errors/index.js';
import type { CollectionMeta } from '../data/index.js';

/** `filterByTk` as NocoBase's clients send it: one key, or several (`filterByTk[]=1&filterByTk[]=2`, "delete selected"). */
export function targetKeys(filterByTk: unknown): unknown[] | undefined {
  if (filterByTk === undefined || filterByTk === null || filterByTk === '') return undefined;
  if (Array.isArray(filterByTk)) return filterByTk;
  if (typeof filterByTk === 'object') {
    const keys = Object.keys(filterByTk);
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) return Object.values(filterByTk as Record<string, unknown>);
    throw cbError('CB_ERR_VALIDATION', 'filterByTk must be a key or an array of keys');
  }
  return [filterByTk];
}

function isEmptyFilter(filter: unknown): boolean {
  if (filter === undefined || filter === null || filter === '') return true;
  const parsed = typeof filter === 'string' ? safeParse(filter) : filter;
  return typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length === 0;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // compileFilter reports it
  }
}

/**
 * The records an action addresses, as NocoBase's repositories do: `filterByTk` (one key or an array)
 * ANDed with `filter` (a scope sent as a filter restricts the write too). Returns a filter object for
 * compileFilter, or undefined when neither is given.
 */
export function targetFilter(meta: CollectionMeta, filterByTk: unknown, filter: unknown): unknown {
  const keys = targetKeys(filterByTk);
  const parts: unknown[] = [];
  if (keys) parts.push({ [meta.primaryKey]: keys.length === 1 ? { $eq: keys[0] } : { $in: keys } });
  if (!isEmptyFilter(filter)) parts.push(typeof filter === 'string' ? safeParse(filter) : filter);
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { $and: parts };
}

/** True when the action names exactly one record by key and nothing else (the by-key fast path). */
export function singleKeyOnly(filterByTk: unknown, filter: unknown): boolean {
  const keys = targetKeys(filterByTk);
  return keys !== undefined && keys.length === 1 && !Array.isArray(filterByTk) && isEmptyFilter(filter);
}

/**
 * The list parameters of a request: the query string, and for `POST :list` / `:count` the JSON body's
 * `filter`, `sort`, `fields`, `appends`, `except`, `page`, `pageSize` (the query string wins).
 */
export function requestListParams(params: Record<string, unknown>): Record<string, unknown> {
  const body = params.values;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return params;
  const merged: Record<string, unknown> = { ...params };
  for (const key of ['filter', 'sort', 'fields', 'appends', 'except', 'page', 'pageSize', 'paginate', 'filterByTk']) {
    if (merged[key] === undefined && (body as Record<string, unknown>)[key] !== undefined) merged[key] = (body as Record<string, unknown>)[key];
  }
  return merged;
}
