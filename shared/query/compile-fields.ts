import { cbError } from '../errors/index.js';
import { isRelationType } from '../data/relation-keys.js';
import { listItems } from './list-items.js';
import type { CollectionMeta, CompileOptions, FieldMeta, SelectedFields } from './types.js';
import { qualified, quoteIdent } from '../sql/index.js';

const isRelation = (f: FieldMeta) => isRelationType(f.type);

/**
 * `fields=id,title` (or an array) → the columns to SELECT. No `fields` selects every column field
 * except passwords. Naming a password field is a 400 (never readable); naming a relation
 * (`category` or `category.name`) selects no column and lists it in `relations` for the caller to append.
 */
export function compileFields(fields: unknown, collection: CollectionMeta, options: CompileOptions = {}): SelectedFields {
  const qualifier = options.alias !== undefined ? quoteIdent(options.alias) : qualified(collection.schema, collection.table);
  const requested = listItems('fields', fields);
  const names: string[] = [];
  const relations: string[] = [];
  if (requested.length === 0) {
    for (const f of collection.fields.values()) if (!isRelation(f) && f.type !== 'password') names.push(f.name);
  }
  for (const item of requested) {
    const [name, ...rest] = item.split('.');
    const field = collection.fields.get(name!);
    if (!field) throw cbError('CB_ERR_VALIDATION', `Unknown field "${name}" in collection "${collection.name}"`, { field: name });
    if (isRelation(field)) {
      if (!relations.includes(field.name)) relations.push(field.name);
      continue;
    }
    if (rest.length > 0) throw cbError('CB_ERR_VALIDATION', `Field "${name}" has no sub-field "${rest.join('.')}"`, { field: name });
    if (field.type === 'password') throw cbError('CB_ERR_VALIDATION', `Field "${name}" (password) cannot be selected`, { field: name });
    if (!names.includes(field.name)) names.push(field.name);
  }
  return { names, relations, sql: names.map((n) => `${qualifier}.${quoteIdent(n)}`).join(', ') };
}
