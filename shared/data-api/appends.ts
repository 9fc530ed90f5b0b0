import type { EntityManager } from '@mikro-orm/postgresql';
import { cbError } from '../errors/index.js';
import { decodeRow, type CollectionMeta, type RecordValues } from '../data/index.js';
import { isRelationType, relationLink } from '../data/relation-keys.js';
import type { CollectionLookup } from '../data/types.js';
import { qualified, quoteIdent, runSql } from '../sql/index.js';

/** `appends=category&appends=reviews` or `appends[]=…` or `appends=category,reviews` → relation paths. */
export function appendNames(appends: unknown): string[] {
  if (appends === undefined || appends === null || appends === '') return [];
  const list = Array.isArray(appends) ? appends : typeof appends === 'object' ? Object.values(appends) : String(appends).split(',');
  return [...new Set(list.map((a) => String(a).trim()).filter((a) => a !== ''))];
}

/** Most levels of `appends` (`a.b.c.d.e`). */
const MAX_APPEND_DEPTH = 5;

/**
 * Loads the relations named in `appends` for a page of records, one query per relation and level
 * (never one per record): belongsTo and hasOne as an object (or null), hasMany and belongsToMany as
 * an array. Paths nest (`author.posts`): the next level is loaded for all rows of the level above at
 * once. An unknown or non-relation name is a 400.
 */
export async function loadAppends(
  em: EntityManager,
  meta: CollectionMeta,
  lookup: CollectionLookup,
  records: RecordValues[],
  appends: unknown,
  aesKey?: Buffer,
  depth = 1,
): Promise<void> {
  const tree = new Map<string, string[]>();
  for (const path of appendNames(appends)) {
    const [head, ...rest] = path.split('.');
    if (rest.length + depth > MAX_APPEND_DEPTH) throw cbError('CB_ERR_VALIDATION', `appends: "${path}" is nested too deeply (at most ${MAX_APPEND_DEPTH} levels)`);
    const sub = tree.get(head!) ?? [];
    if (rest.length > 0) sub.push(rest.join('.'));
    tree.set(head!, sub);
  }
  for (const [name, nested] of tree) {
    const field = meta.fields.get(name);
    if (!field || !isRelationType(field.type)) {
      throw cbError('CB_ERR_VALIDATION', `appends: "${name}" is not a relation of collection "${meta.name}"`);
    }
    if (field.target !== undefined && field.target !== meta.name && !lookup(field.target)) {
      throw cbError('CB_ERR_VALIDATION', `appends: the target collection of "${name}" does not exist`);
    }
    const link = relationLink(field, meta, lookup);
    const target = link.target;
    if (records.length === 0) continue;
    const table = qualified(target.schema, target.table);
    const related: RecordValues[] = [];
    const decode = (row: Record<string, unknown>) => {
      const record = decodeRow(target, row, { aesKey });
      related.push(record);
      return record;
    };

    if (link.type === 'belongsTo') {
      const keys = [...new Set(records.map((r) => r[link.foreignKey]).filter((k) => k !== null && k !== undefined).map(String))];
      const rows = keys.length === 0 ? [] : (await runSql(em, `select * from ${table} where ${quoteIdent(link.targetKey)}::text = any(?)`, [keys])).rows;
      const byKey = new Map(rows.map((row) => [String(row[link.targetKey]), decode(row)]));
      for (const record of records) record[name] = record[link.foreignKey] === null || record[link.foreignKey] === undefined ? null : (byKey.get(String(record[link.foreignKey])) ?? null);
    } else {
      const keys = [...new Set(records.map((r) => r[link.sourceKey]).filter((k) => k !== null && k !== undefined).map(String))];
      let rows: Record<string, unknown>[] = [];
      if (keys.length > 0 && link.type === 'belongsToMany') {
        const through = qualified(link.through!.schema, link.through!.table);
        rows = (
          await runSql(
            em,
            `select "cb_t".*, "cb_j".${quoteIdent(link.foreignKey)}::text as "__cb_source" from ${through} as "cb_j" ` +
              `join ${table} as "cb_t" on "cb_t".${quoteIdent(link.targetKey)} = "cb_j".${quoteIdent(link.otherKey!)} ` +
              `where "cb_j".${quoteIdent(link.foreignKey)}::text = any(?) order by "cb_t".${quoteIdent(target.primaryKey)}`,
            [keys],
          )
        ).rows;
      } else if (keys.length > 0) {
        rows = (await runSql(em, `select *, ${quoteIdent(link.foreignKey)}::text as "__cb_source" from ${table} where ${quoteIdent(link.foreignKey)}::text = any(?) order by ${quoteIdent(target.primaryKey)}`, [keys])).rows;
      }
      const byKey = new Map<string, RecordValues[]>();
      for (const row of rows) {
        const key = String(row.__cb_source);
        if (!byKey.has(key)) byKey.set(key, []);
        byKey.get(key)!.push(decode(row));
      }
      for (const record of records) {
        const list = byKey.get(String(record[link.sourceKey])) ?? [];
        record[name] = link.toMany ? list : (list[0] ?? null);
      }
    }
    if (nested.length > 0) await loadAppends(em, target, lookup, related, nested, aesKey, depth + 1);
  }
}
