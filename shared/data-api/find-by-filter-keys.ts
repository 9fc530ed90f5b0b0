import type { EntityManager } from '@mikro-orm/postgresql';
import type { CollectionLookup, CollectionMeta } from '../data/types.js';
import type { RecordValues } from '../data/index.js';
import { cbError } from '../errors/index.js';
import { listRecords } from './list-records.js';

/**
 * NocoBase's `firstOrCreate` / `updateOrCreate` lookup: `filterKeys` name the fields of `values` that
 * identify the record (required, each present in `values`). Returns the first match, if any.
 */
export async function findByFilterKeys(
  em: EntityManager,
  meta: CollectionMeta,
  lookup: CollectionLookup,
  values: unknown,
  filterKeys: unknown,
  aesKey?: Buffer,
): Promise<{ found: RecordValues | undefined; values: RecordValues }> {
  if (!values || typeof values !== 'object' || Array.isArray(values)) throw cbError('CB_ERR_VALIDATION', 'values must be an object');
  const keys = (Array.isArray(filterKeys) ? filterKeys : typeof filterKeys === 'string' ? filterKeys.split(',') : []).map(String).filter((k) => k !== '');
  if (keys.length === 0) throw cbError('CB_ERR_VALIDATION', 'filterKeys is required (the fields of values that identify the record)');
  const filter: Record<string, unknown> = {};
  for (const key of keys) {
    if (!(key in values)) throw cbError('CB_ERR_VALIDATION', `filterKeys: "${key}" is not in values`);
    filter[key] = (values as RecordValues)[key];
  }
  const page = await listRecords(em, meta, lookup, { filter, pageSize: 1, page: 1 }, aesKey);
  return { found: page.data[0], values: values as RecordValues };
}
