import type { EntityManager } from '@mikro-orm/postgresql';
import type { CollectionMeta, RecordRepository, RecordValues, WriteOptions } from '../data/index.js';
import { isRelationType, relationLink, type RelationLink } from '../data/relation-keys.js';
import type { CollectionLookup, SqlFragment } from '../data/types.js';
import { cbError } from '../errors/index.js';
import { compileFilter } from '../query/index.js';
import { qualified, quoteIdent, runSql } from '../sql/index.js';
import { targetFilter, targetKeys } from './target-filter.js';

/**
 * Association resources (`posts/1/tags:list`, SDK `resource('posts.tags', 1)`): the relation `field`
 * of the source record `associatedIndex`, as NocoBase's relation repositories. `scope` is the link
 * condition on the target table (qualified by its name) that restricts every action to the related rows.
 */
export interface Association {
  readonly source: CollectionMeta;
  readonly link: RelationLink;
  readonly target: CollectionMeta;
  /** The source row's key the link uses (its sourceKey, or for belongsTo its foreign key). */
  readonly value: unknown;
  readonly sourcePk: unknown;
  readonly scope: SqlFragment;
}

export async function resolveAssociation(em: EntityManager, source: CollectionMeta, lookup: CollectionLookup, fieldName: string, associatedIndex: unknown): Promise<Association> {
  const field = source.fields.get(fieldName);
  if (!field || !isRelationType(field.type)) throw cbError('CB_ERR_DATA_NOT_FOUND', `collection "${source.name}" has no relation "${fieldName}"`);
  if (associatedIndex === undefined || associatedIndex === null || associatedIndex === '') throw cbError('CB_ERR_VALIDATION', 'the source record key is required');
  const link = relationLink(field, source, lookup);
  const column = link.type === 'belongsTo' ? link.foreignKey : link.sourceKey;
  const rows = (await runSql(em, `select ${quoteIdent(column)} as v from ${qualified(source.schema, source.table)} where ${quoteIdent(source.primaryKey)} = ?`, [String(associatedIndex)])).rows;
  if (rows.length === 0) throw cbError('CB_ERR_DATA_NOT_FOUND', `record ${String(associatedIndex)} of "${source.name}" does not exist`);
  const value = rows[0]!.v;
  const t = qualified(link.target.schema, link.target.table);
  let scope: SqlFragment;
  if (value === null || value === undefined) scope = { sql: 'FALSE', params: [] };
  else if (link.type === 'belongsTo') scope = { sql: `${t}.${quoteIdent(link.targetKey)} = ?`, params: [String(value)] };
  else if (link.type === 'belongsToMany') {
    const through = qualified(link.through!.schema, link.through!.table);
    scope = { sql: `EXISTS (SELECT 1 FROM ${through} AS "cb_j" WHERE "cb_j".${quoteIdent(link.otherKey!)} = ${t}.${quoteIdent(link.targetKey)} AND "cb_j".${quoteIdent(link.foreignKey)} = ?)`, params: [String(value)] };
  } else scope = { sql: `${t}.${quoteIdent(link.foreignKey)} = ?`, params: [String(value)] };
  return { source, link, target: link.target, value, sourcePk: associatedIndex, scope };
}

/** The association's rows that `filterByTk` / `filter` name (all of them when neither is given). */
export function associationWhere(a: Association, lookup: CollectionLookup, filterByTk: unknown, filter: unknown, timezone?: string): SqlFragment {
  const where = compileFilter(targetFilter(a.target, filterByTk, filter), a.target, lookup, { timezone });
  return { sql: `(${where.sql}) AND (${a.scope.sql})`, params: [...where.params, ...a.scope.params] };
}

/** The target keys a link action names: `filterByTk` or `values` (a key, an array of keys, or objects holding the key). */
export function linkKeys(a: Association, filterByTk: unknown, values: unknown): string[] {
  const raw = targetKeys(filterByTk) ?? (values === undefined || values === null ? [] : Array.isArray(values) ? values : [values]);
  return raw.map((v) => {
    const key = typeof v === 'object' && v !== null ? (v as RecordValues)[a.link.targetKey] : v;
    if (key === undefined || key === null || typeof key === 'object') throw cbError('CB_ERR_VALIDATION', `each linked "${a.target.name}" record needs its key "${a.link.targetKey}"`);
    return String(key);
  });
}

export type LinkAction = 'add' | 'remove' | 'set' | 'toggle';

/**
 * `:add | :remove | :set | :toggle` as NocoBase's relation repositories: belongsToMany writes the
 * through rows; hasMany / hasOne write the target's foreign key; belongsTo the source's. Foreign-key
 * writes go through the record repository (write hooks and workflow triggers fire).
 */
export async function linkAssociation(em: EntityManager, records: RecordRepository, a: Association, action: LinkAction, keys: readonly string[], options: WriteOptions): Promise<void> {
  const { link } = a;
  const t = qualified(a.target.schema, a.target.table);
  const keyIn = (list: readonly string[]) => ({ sql: `${t}.${quoteIdent(link.targetKey)} IN (${list.map(() => '?').join(', ')})`, params: [...list] });
  if (link.type === 'belongsToMany') {
    const through = qualified(link.through!.schema, link.through!.table);
    const fk = quoteIdent(link.foreignKey);
    const other = quoteIdent(link.otherKey!);
    const registered = lookupThrough(records, link);
    await em.transactional(async (tx) => {
      const insert = async (list: readonly string[]) => {
        if (list.length === 0) return;
        if (registered) {
          // A through collection of its own (its key, timestamps, hooks): the missing links as records of it.
          const present = new Set((await runSql(tx, `select ${other}::text as k from ${through} where ${fk} = ? and ${other}::text = any(?::text[])`, [String(a.value), [...list]])).rows.map((r) => String(r.k)));
          const rows = [...new Set(list)].filter((k) => !present.has(k)).map((k) => ({ [link.foreignKey]: String(a.value), [link.otherKey!]: k }));
          if (rows.length > 0) await records.create(tx, registered.name, rows, options);
          return;
        }
        const [fkType, otherType] = [await columnType(tx, link, link.foreignKey), await columnType(tx, link, link.otherKey!)];
        await runSql(tx, `insert into ${through} (${fk}, ${other}) select ?::${fkType}, k::${otherType} from unnest(?::text[]) as k on conflict do nothing`, [String(a.value), [...list]]);
      };
      const remove = async (list: readonly string[] | null) => {
        const only = list === null ? '' : ` and ${other}::text <> all(?::text[])`;
        await runSql(tx, `delete from ${through} where ${fk} = ?${only}`, list === null ? [String(a.value)] : [String(a.value), [...list]]);
      };
      if (action === 'add') await insert(keys);
      else if (action === 'remove') await runSql(tx, `delete from ${through} where ${fk} = ? and ${other}::text = any(?::text[])`, [String(a.value), [...keys]]);
      else if (action === 'set') {
        await remove(keys);
        await insert(keys);
      } else {
        const present = (await runSql(tx, `select ${other}::text as k from ${through} where ${fk} = ? and ${other}::text = any(?::text[])`, [String(a.value), [...keys]])).rows.map((r) => String(r.k));
        if (present.length > 0) await runSql(tx, `delete from ${through} where ${fk} = ? and ${other}::text = any(?::text[])`, [String(a.value), present]);
        await insert(keys.filter((k) => !present.includes(k)));
      }
    });
    return;
  }
  if (action === 'toggle') throw cbError('CB_ERR_VALIDATION', `toggle applies to belongsToMany relations; "${link.field.name}" is ${link.type}`);
  if (link.type === 'belongsTo') {
    if (keys.length > 1) throw cbError('CB_ERR_VALIDATION', `"${link.field.name}" is a belongsTo relation: give one key`);
    const next = action === 'remove' ? (keys.length === 0 || String(a.value) === keys[0] ? null : undefined) : (keys[0] ?? null);
    if (next === undefined) return;
    await records.updateByPk(em, a.source.name, a.sourcePk, { [link.foreignKey]: next }, options);
    return;
  }
  // hasMany / hasOne: the target's foreign key.
  if (link.type === 'hasOne' && keys.length > 1) throw cbError('CB_ERR_VALIDATION', `"${link.field.name}" is a hasOne relation: give one key`);
  const mine = { sql: `${t}.${quoteIdent(link.foreignKey)} = ?`, params: [String(a.value)] };
  if (action === 'remove') {
    if (keys.length > 0) await records.updateWhere(em, a.target.name, and(mine, keyIn(keys)), { [link.foreignKey]: null }, options);
    return;
  }
  if (action === 'set' || link.type === 'hasOne') {
    const others = keys.length > 0 ? and(mine, { sql: `${t}.${quoteIdent(link.targetKey)} NOT IN (${keys.map(() => '?').join(', ')})`, params: [...keys] }) : mine;
    await records.updateWhere(em, a.target.name, others, { [link.foreignKey]: null }, options);
  }
  if (keys.length > 0) await records.updateWhere(em, a.target.name, keyIn(keys), { [link.foreignKey]: a.value }, options);
}

/** The through collection of a belongsToMany when it is a registered collection (not an implicit link table). */
function lookupThrough(records: RecordRepository, link: RelationLink): CollectionMeta | undefined {
  const meta = records.collection(link.through!.table);
  return meta && meta.schema === link.through!.schema ? meta : undefined;
}

function and(a: SqlFragment, b: SqlFragment): SqlFragment {
  return { sql: `(${a.sql}) AND (${b.sql})`, params: [...a.params, ...b.params] };
}

/** The SQL type of a through table column (for casting the text keys of unnest). */
async function columnType(tx: EntityManager, link: RelationLink, column: string): Promise<string> {
  const rows = (
    await runSql(tx, 'select format_type(a.atttypid, a.atttypmod) as t from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = ? and c.relname = ? and a.attname = ?', [
      link.through!.schema,
      link.through!.table,
      column,
    ])
  ).rows;
  const type = String(rows[0]?.t ?? 'text');
  if (!/^[a-z0-9 ()_,]+$/i.test(type)) throw new Error(`unexpected column type ${type}`);
  return type;
}

/**
 * `:create` on an association: the new target record linked to the source (hasMany / hasOne set its
 * foreign key; belongsTo points the source at it; belongsToMany adds the through row).
 */
export async function createInAssociation(em: EntityManager, records: RecordRepository, a: Association, values: unknown, options: WriteOptions): Promise<RecordValues> {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw cbError('CB_ERR_VALIDATION', 'values must be an object');
  const { link } = a;
  const body = { ...(values as RecordValues) };
  if (link.type === 'hasMany' || link.type === 'hasOne') {
    body[link.foreignKey] = a.value;
    if (link.type === 'hasOne') await linkAssociation(em, records, a, 'remove', (await currentKeys(em, a)), options);
    return records.create(em, a.target.name, body, options);
  }
  const created = await records.create(em, a.target.name, body, options);
  await linkAssociation(em, records, a, link.type === 'belongsTo' ? 'set' : 'add', [String(created[link.targetKey])], options);
  return created;
}

async function currentKeys(em: EntityManager, a: Association): Promise<string[]> {
  const t = qualified(a.target.schema, a.target.table);
  return (await runSql(em, `select ${quoteIdent(a.link.targetKey)}::text as k from ${t} where ${a.scope.sql}`, a.scope.params)).rows.map((r) => String(r.k));
}
