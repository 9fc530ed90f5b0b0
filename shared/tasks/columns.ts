import { cbError } from '../errors/index.js';
import { hasColumn, isReadable, type CollectionLookup, type CollectionMeta, type FieldMeta } from '../data/index.js';
import type { ColumnSpec } from './types.js';
import { qualified, quoteIdent } from '../sql/index.js';

/** Alias of the exported collection's table in export statements (filter and sort are compiled with it). */
export const BASE_ALIAS = 't';

export interface ResolvedColumn {
  readonly title: string;
  /** The field whose type decides the cell type (a hasMany path is text: values joined with ", "). */
  readonly field: FieldMeta;
  /** SELECT expression, aliased `c<i>`. */
  readonly sql: string;
  readonly alias: string;
  readonly many: boolean;
}

/**
 * `columns` as given (an array, or a JSON string of one, as NocoBase's client sends in multipart
 * forms and query strings). Missing: every readable column of the collection, titled by name.
 */
export function parseColumns(raw: unknown, meta: CollectionMeta): ColumnSpec[] {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw cbError('CB_ERR_VALIDATION', 'columns must be a JSON array of {dataIndex, defaultTitle}');
    }
  }
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    return [...meta.fields.values()].filter((f) => hasColumn(f) && isReadable(f)).map((f) => ({ dataIndex: [f.name], defaultTitle: f.name }));
  }
  if (!Array.isArray(value)) throw cbError('CB_ERR_VALIDATION', 'columns must be an array of {dataIndex, defaultTitle}');
  return value.map((c, i) => {
    const dataIndex = typeof c?.dataIndex === 'string' ? c.dataIndex.split('.') : c?.dataIndex;
    if (!Array.isArray(dataIndex) || dataIndex.length === 0 || dataIndex.some((d: unknown) => typeof d !== 'string' || d === '')) {
      throw cbError('CB_ERR_VALIDATION', `columns[${i}].dataIndex must be a field path such as ["title"] or ["category","name"]`);
    }
    return { dataIndex, defaultTitle: typeof c.defaultTitle === 'string' ? c.defaultTitle : undefined, title: typeof c.title === 'string' ? c.title : undefined, description: typeof c.description === 'string' ? c.description : undefined };
  });
}

export function columnTitle(c: ColumnSpec): string {
  return c.title || c.defaultTitle || c.dataIndex.join('.');
}

/**
 * Turns column paths into SELECT expressions over `<table> AS t` plus the LEFT JOINs belongsTo hops
 * need (one join per distinct path prefix). A hasMany hop becomes a subquery joining its values
 * with ", " (one cell per record, never one row per related record). Unknown fields, passwords and
 * paths through non-relations are a 400 naming the column.
 */
export function resolveColumns(meta: CollectionMeta, lookup: CollectionLookup, columns: readonly ColumnSpec[]): { columns: ResolvedColumn[]; joins: string } {
  const joins = new Map<string, { alias: string; meta: CollectionMeta; sql: string }>();
  const resolved = columns.map((column, i): ResolvedColumn => {
    const bad = (why: string) => cbError('CB_ERR_VALIDATION', `column "${column.dataIndex.join('.')}": ${why}`);
    let current = meta;
    let alias = BASE_ALIAS;
    let prefix = '';
    for (let hop = 0; hop < column.dataIndex.length; hop++) {
      const name = column.dataIndex[hop]!;
      const field = current.fields.get(name);
      if (!field) throw bad(`"${name}" is not a field of "${current.name}"`);
      const last = hop === column.dataIndex.length - 1;
      if (last) {
        if (!hasColumn(field)) throw bad(`"${name}" is a relation; name one of its fields (e.g. ${name}.id)`);
        if (!isReadable(field)) throw bad(`"${name}" (${field.type}) cannot be exported`);
        return { title: columnTitle(column), field, sql: `${quoteIdent(alias)}.${quoteIdent(name)} as "c${i}"`, alias: `c${i}`, many: false };
      }
      const target = lookup(field.target ?? '');
      if (!target || (field.type !== 'belongsTo' && field.type !== 'hasMany')) throw bad(`"${name}" is not a relation`);
      if (field.type === 'hasMany') {
        const leafName = column.dataIndex[hop + 1]!;
        const leaf = target.fields.get(leafName);
        if (column.dataIndex.length !== hop + 2 || !leaf || !hasColumn(leaf) || !isReadable(leaf)) throw bad(`after the hasMany "${name}" name one readable field of "${target.name}"`);
        const fk = field.foreignKey ?? `${current.name}Id`;
        const sourceKey = field.sourceKey ?? current.primaryKey;
        const sql =
          `(select string_agg(m.${quoteIdent(leafName)}::text, ', ' order by m.${quoteIdent(target.primaryKey)}) from ${qualified(target.schema, target.table)} m ` +
          `where m.${quoteIdent(fk)} = ${quoteIdent(alias)}.${quoteIdent(sourceKey)}) as "c${i}"`;
        return { title: columnTitle(column), field: { ...leaf, type: 'text' }, sql, alias: `c${i}`, many: true };
      }
      prefix = prefix ? `${prefix}.${name}` : name;
      let join = joins.get(prefix);
      if (!join) {
        const joinAlias = `j${joins.size + 1}`;
        const fk = field.foreignKey ?? `${name}Id`;
        const targetKey = field.targetKey ?? target.primaryKey;
        const sql = `left join ${qualified(target.schema, target.table)} as ${quoteIdent(joinAlias)} on ${quoteIdent(joinAlias)}.${quoteIdent(targetKey)} = ${quoteIdent(alias)}.${quoteIdent(fk)}`;
        join = { alias: joinAlias, meta: target, sql };
        joins.set(prefix, join);
      }
      current = join.meta;
      alias = join.alias;
    }
    throw bad('empty path');
  });
  return { columns: resolved, joins: [...joins.values()].map((j) => j.sql).join(' ') };
}
