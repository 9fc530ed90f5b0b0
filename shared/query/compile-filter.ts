import { cbError } from '../errors/index.js';
import { asArray, assertFilterable, compileOperator, isFieldOperator, type Part } from './field-operators.js';
import { qualified, quoteIdent } from '../sql/index.js';
import {
  MAX_FILTER_CONDITIONS,
  MAX_FILTER_DEPTH,
  MAX_FILTER_VALUES,
  type CollectionLookup,
  type CollectionMeta,
  type FieldMeta,
  type FilterOptions,
  type SqlFragment,
} from './types.js';

interface Context {
  readonly lookup: CollectionLookup;
  readonly maxDepth: number;
  readonly maxConditions: number;
  conditions: number;
  aliases: number;
}

/** The collection a piece of filter is about, and how the statement names its table. */
interface Scope {
  readonly collection: CollectionMeta;
  readonly qualifier: string;
}

/**
 * Compiles a NocoBase filter into a WHERE condition over `collection`'s columns (qualified by
 * `options.alias`, else `"schema"."table"`). No filter (undefined, null, '', {}) gives `TRUE`.
 * A string is parsed as JSON (the `filter=` query parameter). Relation paths become EXISTS subqueries
 * on the target table; conditions on one relation written side by side (`{"posts.title": …,
 * "posts.qty": …}` or `{"posts": {…}}`) must hold for the same related row.
 */
export function compileFilter(
  filter: unknown,
  collection: CollectionMeta,
  lookup: CollectionLookup,
  options: FilterOptions = {},
): SqlFragment {
  const ctx: Context = {
    lookup,
    maxDepth: options.maxDepth ?? MAX_FILTER_DEPTH,
    maxConditions: options.maxConditions ?? MAX_FILTER_CONDITIONS,
    conditions: 0,
    aliases: 0,
  };
  const root = parseFilter(filter);
  const scope: Scope = {
    collection,
    qualifier: options.alias !== undefined ? quoteIdent(options.alias) : qualified(collection.schema, collection.table),
  };
  const part = root === undefined ? null : compileObject(root, scope, ctx, 1);
  if (part && part.params.length > MAX_FILTER_VALUES) {
    throw cbError('CB_ERR_VALIDATION', `The filter has too many values (more than ${MAX_FILTER_VALUES})`);
  }
  return part ? { sql: part.sql, params: part.params } : { sql: 'TRUE', params: [] };
}

function parseFilter(filter: unknown): unknown {
  if (filter === undefined || filter === null || filter === '') return undefined;
  if (typeof filter !== 'string') return filter;
  try {
    return JSON.parse(filter);
  } catch {
    throw cbError('CB_ERR_VALIDATION', 'The filter is not valid JSON');
  }
}

function enter(ctx: Context, depth: number): void {
  if (depth > ctx.maxDepth) {
    throw cbError('CB_ERR_VALIDATION', `The filter is nested too deeply (more than ${ctx.maxDepth} levels)`);
  }
}

function count(ctx: Context): void {
  if (++ctx.conditions > ctx.maxConditions) tooMany(ctx);
}

function tooMany(ctx: Context): never {
  throw cbError('CB_ERR_VALIDATION', `The filter has too many conditions (more than ${ctx.maxConditions})`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function join(parts: readonly Part[], glue: 'AND' | 'OR'): Part | null {
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0]!;
  return { sql: `(${parts.map((p) => p.sql).join(` ${glue} `)})`, params: parts.flatMap((p) => p.params) };
}

/** `{ field: …, "rel.field": …, $and: [...], $or: [...] }` over one collection; AND of its keys. */
function compileObject(node: unknown, scope: Scope, ctx: Context, depth: number): Part | null {
  enter(ctx, depth);
  if (!isPlainObject(node)) {
    throw cbError('CB_ERR_VALIDATION', `A filter must be an object of conditions (in collection "${scope.collection.name}")`);
  }
  const parts: Part[] = [];
  // Conditions per relation, merged into one subquery so they hold for the same related row.
  const related = new Map<string, { field: FieldMeta; filters: unknown[] }>();

  for (const [key, value] of Object.entries(node)) {
    if (key === '$and' || key === '$or') {
      const part = compileList(key, value, scope, ctx, depth + 1);
      if (part) parts.push(part);
      continue;
    }
    if (key.startsWith('$')) {
      throw cbError(
        'CB_ERR_VALIDATION',
        isFieldOperator(key) ? `Operator ${key} needs a field: {"<field>": {"${key}": …}}` : `Unknown filter operator "${key}"`,
        { operator: key },
      );
    }
    const [name, ...rest] = key.split('.');
    const field = scope.collection.fields.get(name!);
    if (!field) {
      throw cbError('CB_ERR_VALIDATION', `Unknown field "${name}" in collection "${scope.collection.name}"`, { field: name });
    }
    if (field.type === 'belongsTo' || field.type === 'hasMany') {
      if (rest.length > 0 && !rest[0]!.startsWith('$')) {
        addRelated(related, field, { [rest.join('.')]: value });
        continue;
      }
      const target = rest.length > 0 ? { [rest.join('.')]: value } : value;
      const existence = relationExistence(field, target);
      for (const want of existence.checks) {
        count(ctx);
        parts.push(exists(field, scope, ctx, null, !want));
      }
      if (existence.filter) addRelated(related, field, existence.filter);
      continue;
    }
    if (rest.length > 1 || (rest.length === 1 && !rest[0]!.startsWith('$'))) {
      throw cbError('CB_ERR_VALIDATION', `Field "${name}" has no sub-field "${rest.join('.')}"`, { field: name });
    }
    const part = compileField(field, scope, rest.length === 1 ? { [rest[0]!]: value } : value, ctx, depth + 1);
    if (part) parts.push(part);
  }

  for (const { field, filters } of related.values()) {
    count(ctx);
    parts.push(exists(field, scope, ctx, { filters, depth: depth + 1 }, false));
  }
  return join(parts, 'AND');
}

/** `$and` / `$or`: the list itself is no level of nesting, its items are one below the object holding it. */
function compileList(op: '$and' | '$or', value: unknown, scope: Scope, ctx: Context, depth: number): Part | null {
  const items = asArray(value);
  if (!items) throw cbError('CB_ERR_VALIDATION', `${op} needs an array of conditions`, { operator: op });
  if (items.length > ctx.maxConditions) tooMany(ctx);
  const parts = items.map((item) => compileObject(item, scope, ctx, depth)).filter((p): p is Part => p !== null);
  return join(parts, op === '$and' ? 'AND' : 'OR');
}

function addRelated(related: Map<string, { field: FieldMeta; filters: unknown[] }>, field: FieldMeta, filter: unknown): void {
  const entry = related.get(field.name) ?? { field, filters: [] };
  entry.filters.push(filter);
  related.set(field.name, entry);
}

/**
 * What a relation key holds: `null` (no related row), `{$empty}` / `{$notEmpty}` (existence checks;
 * value ignored, as NocoBase) and the rest, a filter on the target collection.
 */
function relationExistence(field: FieldMeta, value: unknown): { checks: boolean[]; filter: Record<string, unknown> | null } {
  if (value === null) return { checks: [false], filter: null };
  if (!isPlainObject(value)) {
    throw cbError(
      'CB_ERR_VALIDATION',
      `Relation "${field.name}" needs an object of conditions on "${field.target}" (e.g. {"${field.name}.id": …})`,
      { field: field.name },
    );
  }
  const checks: boolean[] = [];
  const filter: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$empty' || key === '$notEmpty') checks.push(key === '$notEmpty');
    else if (key.startsWith('$') && key !== '$and' && key !== '$or') {
      throw cbError(
        'CB_ERR_VALIDATION',
        `Operator ${key} does not apply to relation "${field.name}"; compare one of its fields (e.g. "${field.name}.id")`,
        { field: field.name, operator: key },
      );
    } else filter[key] = v;
  }
  return { checks, filter: Object.keys(filter).length > 0 ? filter : null };
}

/**
 * `EXISTS (SELECT 1 FROM target AS rN WHERE <link> AND <conditions>)`. belongsTo links
 * target.targetKey = this.foreignKey (default `<name>Id`); hasMany links target.foreignKey (default
 * `<collection>Id`) = this.sourceKey (default the primary key).
 */
function exists(
  field: FieldMeta,
  scope: Scope,
  ctx: Context,
  where: { filters: unknown[]; depth: number } | null,
  negate: boolean,
): Part {
  const target = field.target !== undefined ? ctx.lookup(field.target) : undefined;
  if (!target) {
    throw cbError('CB_ERR_VALIDATION', `Relation "${field.name}" points to unknown collection "${field.target}"`, { field: field.name });
  }
  const alias = quoteIdent(`cb_r${++ctx.aliases}`);
  const link =
    field.type === 'belongsTo'
      ? `${alias}.${quoteIdent(field.targetKey ?? target.primaryKey)} = ${scope.qualifier}.${quoteIdent(field.foreignKey ?? `${field.name}Id`)}`
      : `${alias}.${quoteIdent(field.foreignKey ?? `${scope.collection.name}Id`)} = ${scope.qualifier}.${quoteIdent(field.sourceKey ?? scope.collection.primaryKey)}`;
  let inner: Part | null = null;
  if (where) {
    const targetScope: Scope = { collection: target, qualifier: alias };
    const filter = where.filters.length === 1 ? where.filters[0] : { $and: where.filters };
    inner = compileObject(filter, targetScope, ctx, where.depth);
  }
  const sql = `${negate ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${qualified(target.schema, target.table)} AS ${alias} WHERE ${link}${inner ? ` AND ${inner.sql}` : ''})`;
  return { sql, params: inner ? inner.params : [] };
}

/** A column field's value: scalar (= $eq), null (IS NULL), array (= $in) or an object of operators. */
function compileField(field: FieldMeta, scope: Scope, value: unknown, ctx: Context, depth: number): Part | null {
  enter(ctx, depth);
  assertFilterable(field);
  const col = `${scope.qualifier}.${quoteIdent(field.name)}`;
  if (!isPlainObject(value) || field.type === 'json' && !Object.keys(value).some((k) => k.startsWith('$'))) {
    count(ctx);
    return compileOperator(field, col, Array.isArray(value) ? '$in' : '$eq', value);
  }
  const parts: Part[] = [];
  for (const [op, operand] of Object.entries(value)) {
    if (op === '$and' || op === '$or') {
      const items = asArray(operand);
      if (!items) throw cbError('CB_ERR_VALIDATION', `${op} on field "${field.name}" needs an array`, { field: field.name, operator: op });
      const sub = items.map((item) => compileField(field, scope, item, ctx, depth + 1)).filter((p): p is Part => p !== null);
      const part = join(sub, op === '$and' ? 'AND' : 'OR');
      if (part) parts.push(part);
      continue;
    }
    count(ctx);
    parts.push(compileOperator(field, col, op, operand));
  }
  return join(parts, 'AND');
}
