import type { EntityManager } from '@mikro-orm/postgresql';
import type { CollectionMeta, FieldMeta, FieldType } from './types.js';
import { qualified, runSql } from '../sql/index.js';

/**
 * Reads and writes the metadata rows of `cb_collections` / `cb_fields` (migration 0002) in one app
 * schema. A collection row's `options` holds everything of CollectionMeta but name/title/schema/fields;
 * a field row's `options` holds everything of FieldMeta but name/type.
 */

interface CollectionRow {
  name: string;
  title: string | null;
  options: {
    key?: string;
    autoGenId?: boolean;
    primaryKey?: string;
    timestamps?: { createdAt?: boolean; updatedAt?: boolean };
    options?: Record<string, unknown>;
  };
}

interface FieldRow {
  collection_name: string;
  name: string;
  type: FieldType;
  options: Omit<FieldMeta, 'name' | 'type'>;
  sort: number;
}

function toMeta(schema: string, row: CollectionRow, fields: FieldRow[]): CollectionMeta {
  const o = row.options ?? {};
  return {
    name: row.name,
    ...(row.title !== null ? { title: row.title } : {}),
    schema,
    table: row.name,
    primaryKey: o.primaryKey ?? 'id',
    timestamps: { createdAt: o.timestamps?.createdAt ?? false, updatedAt: o.timestamps?.updatedAt ?? false },
    fields: new Map(fields.map((f): [string, FieldMeta] => [f.name, { ...f.options, name: f.name, type: f.type }])),
    ...(o.key !== undefined ? { key: o.key } : {}),
    ...(o.autoGenId !== undefined ? { autoGenId: o.autoGenId } : {}),
    ...(o.options !== undefined && Object.keys(o.options).length > 0 ? { options: o.options } : {}),
  };
}

/** Every collection of the schema (one name when `only` is given), fields in their `sort` order. */
export async function readCollections(em: EntityManager, schema: string, only?: string): Promise<Map<string, CollectionMeta>> {
  const where = only === undefined ? '' : ' where "name" = ?';
  const params = only === undefined ? [] : [only];
  const collections = await runSql<CollectionRow>(em, `select "name", "title", "options" from ${qualified(schema, 'cb_collections')}${where}`, params);
  const fieldWhere = only === undefined ? '' : ' where "collection_name" = ?';
  const fields = await runSql<FieldRow>(
    em,
    `select "collection_name", "name", "type", "options", "sort" from ${qualified(schema, 'cb_fields')}${fieldWhere} order by "sort", "name"`,
    params,
  );
  const byCollection = new Map<string, FieldRow[]>();
  for (const f of fields.rows) {
    const list = byCollection.get(f.collection_name) ?? [];
    list.push(f);
    byCollection.set(f.collection_name, list);
  }
  return new Map(collections.rows.map((row) => [row.name, toMeta(schema, row, byCollection.get(row.name) ?? [])]));
}

export async function readCollection(em: EntityManager, schema: string, name: string): Promise<CollectionMeta | undefined> {
  return (await readCollections(em, schema, name)).get(name);
}

function collectionOptions(meta: CollectionMeta): CollectionRow['options'] {
  return {
    ...(meta.key !== undefined ? { key: meta.key } : {}),
    ...(meta.autoGenId !== undefined ? { autoGenId: meta.autoGenId } : {}),
    primaryKey: meta.primaryKey,
    timestamps: { ...meta.timestamps },
    ...(meta.options !== undefined ? { options: { ...meta.options } } : {}),
  };
}

function fieldOptions(field: FieldMeta): Omit<FieldMeta, 'name' | 'type'> {
  const { name: _name, type: _type, ...rest } = field;
  return rest;
}

export async function insertCollection(em: EntityManager, meta: CollectionMeta): Promise<void> {
  await runSql(em, `insert into ${qualified(meta.schema, 'cb_collections')} ("name", "title", "options") values (?, ?, ?::jsonb)`, [
    meta.name,
    meta.title ?? null,
    JSON.stringify(collectionOptions(meta)),
  ]);
}

export async function updateCollectionRow(em: EntityManager, meta: CollectionMeta): Promise<void> {
  await runSql(em, `update ${qualified(meta.schema, 'cb_collections')} set "title" = ?, "options" = ?::jsonb where "name" = ?`, [
    meta.title ?? null,
    JSON.stringify(collectionOptions(meta)),
    meta.name,
  ]);
}

/** Deletes the collection row; its field rows go with it (foreign key on delete cascade). */
export async function deleteCollectionRow(em: EntityManager, schema: string, name: string): Promise<number> {
  return (await runSql(em, `delete from ${qualified(schema, 'cb_collections')} where "name" = ?`, [name])).affected;
}

/** Inserts field rows after the collection's last one, in the order given. */
export async function insertFields(em: EntityManager, schema: string, collection: string, fields: readonly FieldMeta[]): Promise<void> {
  if (fields.length === 0) return;
  const { rows } = await runSql<{ next: number }>(
    em,
    `select coalesce(max("sort"), 0) + 1 as "next" from ${qualified(schema, 'cb_fields')} where "collection_name" = ?`,
    [collection],
  );
  const first = Number(rows[0]?.next ?? 1);
  const values = fields.map(() => '(?, ?, ?, ?::jsonb, ?)').join(', ');
  const params = fields.flatMap((f, i) => [collection, f.name, f.type, JSON.stringify(fieldOptions(f)), first + i]);
  await runSql(em, `insert into ${qualified(schema, 'cb_fields')} ("collection_name", "name", "type", "options", "sort") values ${values}`, params);
}

export async function updateFieldRow(em: EntityManager, schema: string, collection: string, field: FieldMeta): Promise<void> {
  await runSql(em, `update ${qualified(schema, 'cb_fields')} set "type" = ?, "options" = ?::jsonb where "collection_name" = ? and "name" = ?`, [
    field.type,
    JSON.stringify(fieldOptions(field)),
    collection,
    field.name,
  ]);
}

export async function deleteFieldRows(em: EntityManager, schema: string, collection: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await runSql(em, `delete from ${qualified(schema, 'cb_fields')} where "collection_name" = ? and "name" = ?`, [collection, name]);
  }
}
