import { cbError } from '../errors/index.js';
import { listItems } from './list-items.js';
import type { CollectionMeta, CompileOptions } from './types.js';
import { qualified, quoteIdent } from '../sql/index.js';

const SORTABLE = new Set(['string', 'text', 'uuid', 'integer', 'bigInt', 'snowflakeId', 'float', 'double', 'decimal', 'boolean', 'date', 'datetime']);

/**
 * `sort=-qty,price` (or an array) → `ORDER BY "s"."t"."qty" DESC, "s"."t"."price" ASC, "s"."t"."id" ASC`.
 * The primary key always closes the list (ascending unless named) so pages never overlap or skip
 * rows; with no sort it is the whole order. Unknown, relation, json and secret fields are a 400.
 */
export function compileSort(sort: unknown, collection: CollectionMeta, options: CompileOptions = {}): string {
  const qualifier = options.alias !== undefined ? quoteIdent(options.alias) : qualified(collection.schema, collection.table);
  const seen = new Set<string>();
  const terms: string[] = [];
  for (const item of listItems('sort', sort)) {
    const desc = item.startsWith('-');
    const name = desc || item.startsWith('+') ? item.slice(1).trim() : item;
    const field = collection.fields.get(name);
    if (!field) throw cbError('CB_ERR_VALIDATION', `Unknown sort field "${name}" in collection "${collection.name}"`, { field: name });
    if (!SORTABLE.has(field.type)) {
      throw cbError('CB_ERR_VALIDATION', `Field "${name}" (${field.type}) cannot be used to sort`, { field: name });
    }
    if (seen.has(name)) continue;
    seen.add(name);
    terms.push(`${qualifier}.${quoteIdent(name)} ${desc ? 'DESC' : 'ASC'}`);
  }
  if (!seen.has(collection.primaryKey)) terms.push(`${qualifier}.${quoteIdent(collection.primaryKey)} ASC`);
  return `ORDER BY ${terms.join(', ')}`;
}
