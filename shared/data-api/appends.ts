import type { EntityManager } from '@mikro-orm/postgresql';
import { cbError } from '../errors/index.js';
import { decodeRow, type CollectionMeta, type RecordValues } from '../data/index.js';
import type { CollectionLookup } from '../data/types.js';
import { qualified, quoteIdent, runSql } from '../sql/index.js';

/** `appends=category&appends=reviews` or `appends[]=…` or `appends=category,reviews` → relation names. */
function appendNames(appends: unknown): string[] {
  if (appends === undefined || appends === null || appends === '') return [];
  const list = Array.isArray(appends) ? appends : typeof appends === 'object' ? Object.values(appends) : String(appends).split(',');
  return [...new Set(list.map((a) => String(a).trim()).filter((a) => a !== ''))];
}

/**
 * Loads the relations named in `appends` for a page of records, one query per relation (never one
 * per record): belongsTo as an object (or null), hasMany as an array. An unknown or non-relation
 * name is a 400.
 */
export async function loadAppends(
  em: EntityManager,
  meta: CollectionMeta,
  lookup: CollectionLookup,
  records: RecordValues[],
  appends: unknown,
  aesKey?: Buffer,
): Promise<void> {
  for (const name of appendNames(appends)) {
    const field = meta.fields.get(name);
    if (!field || (field.type !== 'belongsTo' && field.type !== 'hasMany')) {
      throw cbError('CB_ERR_VALIDATION', `appends: "${name}" is not a relation of collection "${meta.name}"`);
    }
    const target = lookup(field.target ?? '');
    if (!target) throw cbError('CB_ERR_VALIDATION', `appends: the target collection of "${name}" does not exist`);
    if (records.length === 0) continue;
    const table = qualified(target.schema, target.table);

    if (field.type === 'belongsTo') {
      const fk = field.foreignKey ?? `${field.name}Id`;
      const targetKey = field.targetKey ?? target.primaryKey;
      const keys = [...new Set(records.map((r) => r[fk]).filter((k) => k !== null && k !== undefined))];
      const rows = keys.length === 0 ? [] : (await runSql(em, `select * from ${table} where ${quoteIdent(targetKey)}::text = any(?)`, [keys.map(String)])).rows;
      const byKey = new Map(rows.map((row) => [String(row[targetKey]), decodeRow(target, row, { aesKey })]));
      for (const record of records) record[name] = record[fk] === null || record[fk] === undefined ? null : (byKey.get(String(record[fk])) ?? null);
    } else {
      const fk = field.foreignKey ?? `${meta.name}Id`;
      const sourceKey = field.sourceKey ?? meta.primaryKey;
      const keys = [...new Set(records.map((r) => r[sourceKey]).filter((k) => k !== null && k !== undefined))];
      const rows = keys.length === 0 ? [] : (await runSql(em, `select * from ${table} where ${quoteIdent(fk)}::text = any(?) order by ${quoteIdent(target.primaryKey)}`, [keys.map(String)])).rows;
      const byKey = new Map<string, RecordValues[]>();
      for (const row of rows) {
        const key = String(row[fk]);
        if (!byKey.has(key)) byKey.set(key, []);
        byKey.get(key)!.push(decodeRow(target, row, { aesKey }));
      }
      for (const record of records) record[name] = byKey.get(String(record[sourceKey])) ?? [];
    }
  }
}
