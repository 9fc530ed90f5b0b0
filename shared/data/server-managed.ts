import type { CollectionMeta, FieldMeta } from './types.js';

/**
 * Fields the server fills whatever a write body says: a snowflakeId primary key, the createdAt /
 * updatedAt timestamps and the createdBy / updatedBy relations with their foreign keys. A body naming
 * them is accepted and the names are dropped (as NocoBase: Sequelize never writes a timestamp a client
 * sends on update and stamps updatedAt itself, and its createdBy/updatedBy hooks take the signed-in
 * user). Without this a member could pre-claim future snowflake IDs (every later insert a 409) or
 * forge audit times.
 *
 * Explicit keys stay possible where the collection declares them: a primary key of another type
 * (integer, string, uuid, nanoid …) marked `primaryKey` by its definition, or a snowflakeId primary
 * key with `autoFill: false` (NocoBase's switch for "the caller gives the ID").
 */

const cache = new WeakMap<CollectionMeta, ReadonlySet<string>>();

function isUserStamp(field: FieldMeta, kind: 'createdBy' | 'updatedBy'): boolean {
  return field.type === kind || (field.type === 'belongsTo' && (field.interface === kind || field.name === kind));
}

/** The names (fields and foreign-key columns) a write body cannot set in this collection. */
export function serverManagedFields(meta: CollectionMeta): ReadonlySet<string> {
  const known = cache.get(meta);
  if (known) return known;
  const names = new Set<string>();
  const pk = meta.fields.get(meta.primaryKey);
  if (pk?.type === 'snowflakeId' && pk.options?.autoFill !== false) names.add(pk.name);
  if (meta.timestamps.createdAt && meta.fields.has('createdAt')) names.add('createdAt');
  if (meta.timestamps.updatedAt && meta.fields.has('updatedAt')) names.add('updatedAt');
  for (const field of meta.fields.values()) {
    if (!isUserStamp(field, 'createdBy') && !isUserStamp(field, 'updatedBy')) continue;
    names.add(field.name);
    if (field.foreignKey) names.add(field.foreignKey);
  }
  cache.set(meta, names);
  return names;
}

/** `body` without the server-managed names (the same object when it names none). */
export function withoutServerManaged<T extends Record<string, unknown>>(meta: CollectionMeta, body: T): T {
  const managed = serverManagedFields(meta);
  if (!Object.keys(body).some((k) => managed.has(k))) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!managed.has(k)) out[k] = v;
  return out as T;
}
