import { columnType, hasColumn } from './field-definition.js';
import { ident, objectName, tableRef } from './sql.js';
import type { CollectionLookup, CollectionMeta, FieldMeta } from './types.js';

/**
 * DDL statements for a collection's table. No value is ever part of DDL: defaults are applied by the
 * record repository, so every statement here is made of validated, quoted identifiers and types.
 */

function columnDefinition(field: FieldMeta): string {
  return `${ident(field.name)} ${columnType(field)}${field.allowNull === false || field.primaryKey ? ' not null' : ''}`;
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

/** `alter table … add constraint … foreign key` + its index, for one belongsTo. */
export function foreignKeyStatements(meta: CollectionMeta, column: string, target: CollectionMeta, targetKey: string): string[] {
  const table = tableRef(meta.schema, meta.table);
  return [
    `alter table ${table} add constraint ${ident(objectName(meta.table, column, 'fkey'))} foreign key (${ident(column)}) ` +
      `references ${tableRef(target.schema, target.table)} (${ident(targetKey)}) on delete set null`,
    `create index ${ident(objectName(meta.table, column, 'idx'))} on ${table} (${ident(column)})`,
  ];
}

export function createTableStatements(meta: CollectionMeta, lookup: CollectionLookup): string[] {
  const columns = [...meta.fields.values()].filter(hasColumn);
  const parts = columns.map(columnDefinition);
  parts.push(`constraint ${ident(objectName(meta.table, meta.primaryKey, 'pkey'))} primary key (${ident(meta.primaryKey)})`);
  for (const field of columns) {
    if (field.unique && !field.primaryKey) parts.push(`constraint ${ident(uniqueConstraintName(meta.table, field.name))} unique (${ident(field.name)})`);
  }
  const statements = [`create table ${tableRef(meta.schema, meta.table)} (\n  ${parts.join(',\n  ')}\n)`];
  for (const fk of belongsToColumns(meta, lookup)) statements.push(...foreignKeyStatements(meta, fk.column, fk.target, fk.targetKey));
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
    `create table ${tableRef(schema, through)} (\n  ${ident(fk)} ${keyType(source, field.sourceKey!)} not null,\n  ${ident(other)} ${keyType(target, field.targetKey!)} not null,\n` +
      `  "createdAt" timestamptz not null default now(),\n  constraint ${ident(objectName(through, `${fk}_${other}`, 'pkey'))} primary key (${ident(fk)}, ${ident(other)}),\n` +
      `  constraint ${ident(objectName(through, fk, 'fkey'))} foreign key (${ident(fk)}) references ${tableRef(source.schema, source.table)} (${ident(field.sourceKey!)}) on delete cascade,\n` +
      `  constraint ${ident(objectName(through, other, 'fkey'))} foreign key (${ident(other)}) references ${tableRef(target.schema, target.table)} (${ident(field.targetKey!)}) on delete cascade\n)`,
    `create index ${ident(objectName(through, other, 'idx'))} on ${tableRef(schema, through)} (${ident(other)})`,
  ];
}

export function addColumnStatements(meta: CollectionMeta, field: FieldMeta): string[] {
  const table = tableRef(meta.schema, meta.table);
  const statements = [`alter table ${table} add column ${columnDefinition(field)}`];
  if (field.unique) statements.push(`alter table ${table} add constraint ${ident(uniqueConstraintName(meta.table, field.name))} unique (${ident(field.name)})`);
  return statements;
}

/** Statements turning column `before` into `after` (same name): type, nullability, uniqueness. */
export function alterColumnStatements(meta: CollectionMeta, before: FieldMeta, after: FieldMeta): string[] {
  const table = tableRef(meta.schema, meta.table);
  const column = ident(after.name);
  const statements: string[] = [];
  const type = columnType(after);
  if (columnType(before) !== type) statements.push(`alter table ${table} alter column ${column} type ${type} using ${column}::${type}`);
  const notNullBefore = before.allowNull === false || !!before.primaryKey;
  const notNullAfter = after.allowNull === false || !!after.primaryKey;
  if (notNullBefore !== notNullAfter) statements.push(`alter table ${table} alter column ${column} ${notNullAfter ? 'set' : 'drop'} not null`);
  if (!!before.unique !== !!after.unique) {
    const name = ident(uniqueConstraintName(meta.table, after.name));
    statements.push(after.unique ? `alter table ${table} add constraint ${name} unique (${column})` : `alter table ${table} drop constraint if exists ${name}`);
  }
  return statements;
}

export function dropColumnStatement(meta: CollectionMeta, column: string): string {
  return `alter table ${tableRef(meta.schema, meta.table)} drop column ${ident(column)}`;
}

export function dropTableStatement(meta: CollectionMeta): string {
  return `drop table ${tableRef(meta.schema, meta.table)}`;
}
