import { cbError } from '../errors/index.js';
import type { CollectionLookup, CollectionMeta, FieldMeta } from './types.js';

/** Relation field types (no column of their own, except a belongsTo's foreign key field). */
export const RELATION_TYPES = ['belongsTo', 'hasOne', 'hasMany', 'belongsToMany'] as const;

/**
 * How a relation links two tables, with NocoBase's defaults filled in:
 * - belongsTo: `source.foreignKey` (default `<name>Id`) → `target.targetKey` (default the target's key);
 * - hasOne / hasMany: `target.foreignKey` (default `<source>Id`) → `source.sourceKey` (default its key);
 * - belongsToMany: through table rows `(foreignKey → source.sourceKey, otherKey → target.targetKey)`.
 */
export interface RelationLink {
  readonly field: FieldMeta;
  readonly type: 'belongsTo' | 'hasOne' | 'hasMany' | 'belongsToMany';
  readonly target: CollectionMeta;
  /** True for hasMany and belongsToMany: several related rows per source row. */
  readonly toMany: boolean;
  readonly foreignKey: string;
  readonly sourceKey: string;
  readonly targetKey: string;
  /** belongsToMany only. */
  readonly otherKey?: string;
  readonly through?: { readonly schema: string; readonly table: string };
}

export function isRelationType(type: string): boolean {
  return (RELATION_TYPES as readonly string[]).includes(type);
}

export function relationLink(field: FieldMeta, source: CollectionMeta, lookup: CollectionLookup): RelationLink {
  const target = field.target === source.name ? source : field.target !== undefined ? lookup(field.target) : undefined;
  if (!target) {
    throw cbError('CB_ERR_VALIDATION', `Relation "${field.name}" points to unknown collection "${field.target}"`, { field: field.name });
  }
  const type = field.type as RelationLink['type'];
  switch (type) {
    case 'belongsTo':
      return { field, type, target, toMany: false, foreignKey: field.foreignKey ?? `${field.name}Id`, sourceKey: field.sourceKey ?? source.primaryKey, targetKey: field.targetKey ?? target.primaryKey };
    case 'hasOne':
    case 'hasMany':
      return { field, type, target, toMany: type === 'hasMany', foreignKey: field.foreignKey ?? `${source.name}Id`, sourceKey: field.sourceKey ?? source.primaryKey, targetKey: field.targetKey ?? target.primaryKey };
    case 'belongsToMany': {
      const throughName = field.through ?? defaultThrough(source.name, target.name);
      const throughMeta = lookup(throughName);
      return {
        field,
        type,
        target,
        toMany: true,
        foreignKey: field.foreignKey ?? `${source.name}Id`,
        otherKey: field.otherKey ?? `${target.name}Id`,
        sourceKey: field.sourceKey ?? source.primaryKey,
        targetKey: field.targetKey ?? target.primaryKey,
        through: throughMeta ? { schema: throughMeta.schema, table: throughMeta.table } : { schema: source.schema, table: throughName },
      };
    }
    default:
      throw cbError('CB_ERR_VALIDATION', `Field "${field.name}" is not a relation`, { field: field.name });
  }
}

/** NocoBase's implicit through collection name: both names lower-cased, sorted, joined by `_`, camel-cased. */
export function defaultThrough(source: string, target: string): string {
  const joined = [source, target].map((n) => n.toLowerCase()).sort().join('_');
  return joined.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
