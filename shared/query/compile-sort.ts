import { cbError } from '../errors/index.js';
import { isRelationType, relationLink } from '../data/relation-keys.js';
import { listItems } from './list-items.js';
import { qualified, quoteIdent } from '../sql/index.js';
import { relationJoin } from './relation-join.js';
import type { CollectionLookup, CollectionMeta, CompileOptions } from './types.js';

const SORTABLE = new Set([
  'string', 'text', 'uuid', 'nanoid', 'integer', 'bigInt', 'snowflakeId', 'sort', 'float', 'double', 'decimal', 'boolean',
  'date', 'datetime', 'datetimeTz', 'datetimeNoTz', 'dateOnly', 'time',
]);

export interface SortOptions extends CompileOptions {
  /** Other collections, for relation paths (`author.name`). */
  readonly lookup?: CollectionLookup;
}

/**
 * `sort=-qty,price` (or an array) → `ORDER BY "s"."t"."qty" DESC NULLS LAST, "s"."t"."price" ASC, "s"."t"."id" ASC`.
 * NULLs come last in both directions, as NocoBase. A path through to-one relations (`author.name`,
 * belongsTo or hasOne) sorts by the related row's column (a correlated subquery). The primary key always
 * closes the list (ascending unless named) so pages never overlap or skip rows; with no sort it is the
 * whole order. Unknown, to-many, json and secret fields are a 400.
 */
export function compileSort(sort: unknown, collection: CollectionMeta, options: SortOptions = {}): string {
  const qualifier = options.alias !== undefined ? quoteIdent(options.alias) : qualified(collection.schema, collection.table);
  const seen = new Set<string>();
  const terms: string[] = [];
  for (const item of listItems('sort', sort)) {
    const desc = item.startsWith('-');
    const name = desc || item.startsWith('+') ? item.slice(1).trim() : item;
    if (seen.has(name)) continue;
    seen.add(name);
    const expr = sortExpression(name, collection, qualifier, options.lookup);
    const nulls = desc && name !== collection.primaryKey ? ' NULLS LAST' : '';
    terms.push(`${expr} ${desc ? 'DESC' : 'ASC'}${nulls}`);
  }
  if (!seen.has(collection.primaryKey)) terms.push(`${qualifier}.${quoteIdent(collection.primaryKey)} ASC`);
  return `ORDER BY ${terms.join(', ')}`;
}

function sortExpression(path: string, collection: CollectionMeta, qualifier: string, lookup: CollectionLookup | undefined): string {
  const names = path.split('.');
  let meta = collection;
  let from = qualifier;
  const joins: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const field = meta.fields.get(name);
    if (!field) throw cbError('CB_ERR_VALIDATION', `Unknown sort field "${path}" in collection "${collection.name}"`, { field: path });
    const last = i === names.length - 1;
    if (isRelationType(field.type) && !last && lookup) {
      const link = relationLink(field, meta, lookup);
      if (link.toMany) throw cbError('CB_ERR_VALIDATION', `Sort field "${path}": "${name}" is a ${field.type} relation (one record has many), so it cannot sort`, { field: path });
      const made = relationJoin(link, from, `cb_s${joins.length + 1}`);
      for (const step of made.steps) joins.push(`INNER JOIN ${step.table} AS ${step.alias} ON ${step.on}`);
      meta = link.target;
      from = made.alias;
      continue;
    }
    if (!last) throw cbError('CB_ERR_VALIDATION', `Field "${name}" has no sub-field "${names.slice(i + 1).join('.')}"`, { field: path });
    if (!SORTABLE.has(field.type)) {
      throw cbError('CB_ERR_VALIDATION', `Field "${path}" (${field.type}) cannot be used to sort`, { field: path });
    }
    const column = `${from}.${quoteIdent(name)}`;
    return joins.length === 0 ? column : `(SELECT ${column} FROM (SELECT 1) AS "cb_one" ${joins.join(' ')} LIMIT 1)`;
  }
  throw cbError('CB_ERR_VALIDATION', `Unknown sort field "${path}"`, { field: path });
}
