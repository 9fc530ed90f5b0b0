import type { CollectionLookup, CollectionMeta, RecordValues, WriteOptions } from '../data/index.js';
import { isRelation } from '../data/index.js';
import { listItems } from '../query/list-items.js';

/**
 * The write parameters of `:create` / `:update` beside `values`, as NocoBase's actions take them:
 * `whitelist` / `blacklist` (which fields of `values` are written) and `updateAssociationValues`
 * (relations whose existing records given as objects are updated, not only linked).
 */

/** `updateAssociationValues` as write options (a list of relation paths). */
export function associationWriteOptions(params: Record<string, unknown>): Pick<WriteOptions, 'updateAssociationValues'> {
  const paths = listItems('updateAssociationValues', params.updateAssociationValues);
  return paths.length > 0 ? { updateAssociationValues: paths } : {};
}

/**
 * `values` with NocoBase's UpdateGuard applied: with a `whitelist`, only the keys whose first path
 * segment it lists are kept; keys the `blacklist` lists are dropped (both silently, as NocoBase).
 * `relation.field` entries apply the same rule inside that relation's values. A nested record's key
 * is always kept (NocoBase drops it under a nested whitelist and then creates a new record instead).
 */
export function guardValues(meta: CollectionMeta, lookup: CollectionLookup, values: unknown, params: Record<string, unknown>): unknown {
  const whitelist = listItems('whitelist', params.whitelist);
  const blacklist = listItems('blacklist', params.blacklist);
  if (whitelist.length === 0 && blacklist.length === 0) return values;
  const guard = (body: unknown) => sanitize(meta, lookup, body, whitelist.length > 0 ? whitelist : undefined, blacklist.length > 0 ? blacklist : undefined, false);
  return Array.isArray(values) ? values.map(guard) : guard(values);
}

function below(list: readonly string[] | undefined, name: string): string[] | undefined {
  if (!list) return undefined;
  const sub = list.filter((p) => p.startsWith(`${name}.`)).map((p) => p.slice(name.length + 1));
  return sub.length > 0 ? sub : undefined;
}

function sanitize(meta: CollectionMeta, lookup: CollectionLookup, body: unknown, whitelist: readonly string[] | undefined, blacklist: readonly string[] | undefined, nested: boolean): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const out: RecordValues = {};
  for (const [key, value] of Object.entries(body as RecordValues)) {
    const field = meta.fields.get(key);
    const isKey = nested && key === meta.primaryKey;
    if (!isKey && whitelist && !whitelist.some((w) => w.split('.')[0] === key)) continue;
    if (!isKey && blacklist?.includes(key)) continue;
    if (field && isRelation(field) && field.target && typeof value === 'object' && value !== null) {
      const target = field.target === meta.name ? meta : lookup(field.target);
      if (target) {
        const sub = (v: unknown) => sanitize(target, lookup, v, below(whitelist, key), below(blacklist, key), true);
        out[key] = Array.isArray(value) ? value.map(sub) : sub(value);
        continue;
      }
    }
    out[key] = value;
  }
  return out;
}
