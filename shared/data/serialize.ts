import type { CollectionMeta, FieldMeta } from './types.js';

/**
 * Metadata in NocoBase's response shapes (collections:create/get/list, fields:create/list/update).
 * Unlike NocoBase, the generated `id`, `createdAt` and `updatedAt` fields and belongsTo foreign keys
 * are listed as fields (NocoBase keeps them as columns only, which breaks its own export).
 */

export function fieldToJson(field: FieldMeta, collectionName: string): Record<string, unknown> {
  const { name, type, key, interface: iface, uiSchema, options, ...rest } = field;
  return {
    key,
    name,
    type,
    interface: iface ?? null,
    collectionName,
    description: null,
    parentKey: null,
    reverseKey: null,
    ...rest,
    ...options,
    ...(uiSchema !== undefined ? { uiSchema } : {}),
  };
}

export function collectionToJson(meta: CollectionMeta, withFields = true): Record<string, unknown> {
  return {
    key: meta.key ?? meta.name,
    name: meta.name,
    title: meta.title ?? meta.name,
    inherit: false,
    hidden: false,
    description: null,
    ...meta.options,
    ...(withFields ? { fields: [...meta.fields.values()].map((f) => fieldToJson(f, meta.name)) } : {}),
    autoGenId: meta.autoGenId ?? false,
    createdAt: meta.timestamps.createdAt,
    updatedAt: meta.timestamps.updatedAt,
    createdBy: [...meta.fields.values()].some((f) => f.interface === 'createdBy'),
    updatedBy: [...meta.fields.values()].some((f) => f.interface === 'updatedBy'),
    sortable: false,
    filterTargetKey: meta.primaryKey,
    unavailableActions: [],
  };
}
