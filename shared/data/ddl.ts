import { columnType, hasColumn } from './field-definition.js';
import { objectName } from './sql.js';
import type { CollectionLookup, CollectionMeta, FieldMeta } from './types.js';
import { qualified, quoteIdent } from '../sql/index.js';

/**
 * DDL statements for a collection's table. No value is ever part of DDL: defaults are applied by the
 * record repository, so every statement here is made of validated, quoted identifiers and types.
 */

function columnDefinition(field: FieldMeta): string {
  return `${quoteIdent(field.name)} ${columnType(field)}${field.allowNull === false || field.primaryKey ? ' not null' : ''}`;
}

export function uniqueConstraintName(table: string, column: string): string {
  return objectName(table, column, 'key');
}

/** The belongsTo fields of a collection, with their foreign-key column and referenced key resolved. */
export function belongsToColumns(meta: CollectionMeta, lookup: CollectionLookup): { field: FieldMeta; column: string; target: CollectionMeta; targetKey: string }[] {
  const out = [];
  for (const field of meta.fields.values()) {
    if (field.type !== 'belongsTo') continue;
    const target = field.target === meta.name ? meta : lookup(field.target!);
    if (!target) continue;
    out.push({ field, column: field.foreignKey ?? `${field.name}Id`, target, targetKey: field.targetKey ?? target.primaryKey });
  }
  return out;
}

/** A relation's `onDelete` as NocoBase takes it (`SET NULL`, `CASCADE`, `RESTRICT`, `NO ACTION`, any case). */
export const ON_DELETE = ['set null', 'cascade', 'restrict', 'no action'] as const;
export type OnDelete = (typeof ON_DELETE)[number];

/** The `onDelete` a relation field was given (undefined: the default, SET NULL, as NocoBase). */
export function onDeleteOf(field: FieldMeta): OnDelete | undefined {
  const raw = field.options?.onDelete;
  if (typeof raw !== 'string') return undefined;
  const action = raw.toLowerCase().replace(/_/g, ' ');
  return (ON_DELETE as readonly string[]).includes(action) ? (action as OnDelete) : undefined;
}

/**
 * The action of the constraint on `meta.column` (a belongsTo's foreign key) pointing at `target`:
 * the belongsTo's own `onDelete`, else that of a hasMany/hasOne of the target over the same key, else SET NULL.
 */
export function referenceAction(meta: CollectionMeta, column: string, target: CollectionMeta): OnDelete {
  for (const f of meta.fields.values()) if (f.type === 'belongsTo' && (f.foreignKey ?? `${f.name}Id`) === column && f.target === target.name && onDeleteOf(f)) return onDeleteOf(f)!;
  for (const f of target.fields.values()) if ((f.type === 'hasMany' || f.type === 'hasOne') && f.target === meta.name && f.foreignKey === column && onDeleteOf(f)) return onDeleteOf(f)!;
  return 'set null';
}

/** `alter table … add constraint … foreign key` + its index, for one belongsTo. */
export function foreignKeyStatements(meta: CollectionMeta, column: string, target: CollectionMeta, targetKey: string, onDelete: OnDelete = 'set null'): string[] {
  const table = qualified(meta.schema, meta.table);
  return [
    `alter table ${table} add constraint ${quoteIdent(objectName(meta.table, column, 'fkey'))} foreign key (${quoteIdent(column)}) ` +
      `references ${qualified(target.schema, target.table)} (${quoteIdent(targetKey)}) on delete ${onDelete}`,
    `create index ${quoteIdent(objectName(meta.table, column, 'idx'))} on ${table} (${quoteIdent(column)})`,
  ];
}

/**
 * A hasMany / hasOne given an `onDelete`: the constraint on the target's foreign key (made, or
 * replacing the one its belongsTo made) gets that action. `source` holds the relation.
 */
export function referenceStatements(source: CollectionMeta, field: FieldMeta, target: CollectionMeta): string[] {
  const action = onDeleteOf(field);
  if (!action || (field.type !== 'hasMany' && field.type !== 'hasOne')) return [];
  const table = qualified(target.schema, target.table);
  const fk = field.foreignKey!;
  const name = quoteIdent(objectName(target.table, fk, 'fkey'));
  return [
    `alter table ${table} drop constraint if exists ${name}`,
    `alter table ${table} add constraint ${name} foreign key (${quoteIdent(fk)}) references ${qualified(source.schema, source.table)} (${quoteIdent(field.sourceKey ?? source.primaryKey)}) on delete ${action}`,
    `create index if not exists ${quoteIdent(objectName(target.table, fk, 'idx'))} on ${table} (${quoteIdent(fk)})`,
  ];
}

export function createTableStatements(meta: CollectionMeta, lookup: CollectionLookup): string[] {
  const columns = [...meta.fields.values()].filter(hasColumn);
  const parts = columns.map(columnDefinition);
  parts.push(`constraint ${quoteIdent(objectName(meta.table, meta.primaryKey, 'pkey'))} primary key (${quoteIdent(meta.primaryKey)})`);
  for (const field of columns) {
    if (field.unique && !field.primaryKey) parts.push(`constraint ${quoteIdent(uniqueConstraintName(meta.table, field.name))} unique (${quoteIdent(field.name)})`);
  }
  const statements = [`create table ${qualified(meta.schema, meta.table)} (\n  ${parts.join(',\n  ')}\n)`];
  for (const fk of belongsToColumns(meta, lookup)) statements.push(...foreignKeyStatements(meta, fk.column, fk.target, fk.targetKey, referenceAction(meta, fk.column, fk.target)));
  for (const field of meta.fields.values()) {
    const target = field.target === meta.name ? meta : field.target ? lookup(field.target) : undefined;
    if (target && target !== meta) statements.push(...referenceStatements(meta, field, target));
  }
  return statements;
}

/**
 * The table of an implicit belongsToMany through collection: one row per link, `(foreignKey, otherKey)`
 * its primary key, both columns typed like the keys they hold and deleted with either side.
 */
export function throughTableStatements(schema: string, through: string, source: CollectionMeta, target: CollectionMeta, field: FieldMeta): string[] {
  const keyType = (meta: CollectionMeta, key: string) => {
    const f = meta.fields.get(key)!;
    return f.type === 'snowflakeId' ? 'int8' : columnType(f);
  };
  const fk = field.foreignKey!;
  const other = field.otherKey!;
  return [
    `create table ${qualified(schema, through)} (\n  ${quoteIdent(fk)} ${keyType(source, field.sourceKey!)} not null,\n  ${quoteIdent(other)} ${keyType(target, field.targetKey!)} not null,\n` +
      `  "createdAt" timestamptz not null default now(),\n  constraint ${quoteIdent(objectName(through, `${fk}_${other}`, 'pkey'))} primary key (${quoteIdent(fk)}, ${quoteIdent(other)}),\n` +
      `  constraint ${quoteIdent(objectName(through, fk, 'fkey'))} foreign key (${quoteIdent(fk)}) references ${qualified(source.schema, source.table)} (${quoteIdent(field.sourceKey!)}) on delete cascade,\n` +
      `  constraint ${quoteIdent(objectName(through, other, 'fkey'))} foreign key (${quoteIdent(other)}) references ${qualified(target.schema, target.table)} (${quoteIdent(field.targetKey!)}) on delete cascade\n)`,
    `create index ${quoteIdent(objectName(through, other, 'idx'))} on ${qualified(schema, through)} (${quoteIdent(other)})`,
  ];
}

export function addColumnStatements(meta: CollectionMeta, field: FieldMeta): string[] {
  const table = qualified(meta.schema, meta.table);
  const statements = [`alter table ${table} add column ${columnDefinition(field)}`];
  if (field.unique) statements.push(`alter table ${table} add constraint ${quoteIdent(uniqueConstraintName(meta.table, field.name))} unique (${quoteIdent(field.name)})`);
  return statements;
}

/** Statements turning column `before` into `after` (same name): type, nullability, uniqueness. */
export function alterColumnStatements(meta: CollectionMeta, before: FieldMeta, after: FieldMeta): string[] {
  const table = qualified(meta.schema, meta.table);
  const column = quoteIdent(after.name);
  const statements: string[] = [];
  const type = columnType(after);
  if (columnType(before) !== type) statements.push(`alter table ${table} alter column ${column} type ${type} using ${column}::${type}`);
  const notNullBefore = before.allowNull === false || !!before.primaryKey;
  const notNullAfter = after.allowNull === false || !!after.primaryKey;
  if (notNullBefore !== notNullAfter) statements.push(`alter table ${table} alter column ${column} ${notNullAfter ? 'set' : 'drop'} not null`);
  if (!!before.unique !== !!after.unique) {
    const name = quoteIdent(uniqueConstraintName(meta.table, after.name));
    statements.push(after.unique ? `alter table ${table} add constraint ${name} unique (${column})` : `alter table ${table} drop constraint if exists ${name}`);
  }
  return statements;
}

export function dropColumnStatement(meta: CollectionMeta, column: string): string {
  return `alter table ${qualified(meta.schema, meta.table)} drop column ${quoteIdent(column)}`;
}

export function dropTableStatement(meta: CollectionMeta): string {
  return `drop table ${qualified(meta.schema, meta.table)}`;
}
