import { cbError } from '../errors/index.js';
import { isRelationType, relationLink } from '../data/relation-keys.js';
import { checkTimezone } from './date-range.js';
import { asArray, assertFilterable, compileOperator, isFieldOperator, rejectsNull, type OperatorEnv } from './field-operators.js';
import { relationJoin, type JoinStep } from './relation-join.js';
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

/** A relation path joined for the filter (`tags`, `posts.comments`): one alias for the whole filter, as NocoBase's joins. */
interface Join {
  readonly index: number;
  readonly path: string;
  readonly parent: Join | null;
  readonly steps: readonly JoinStep[];
  readonly alias: string;
  readonly target: CollectionMeta;
}

interface Context {
  readonly lookup: CollectionLookup;
  readonly maxDepth: number;
  readonly maxConditions: number;
  readonly env: OperatorEnv;
  readonly joins: Map<string, Join>;
  conditions: number;
  aliases: number;
}

/** The collection a piece of filter is about, how the statement names its table, and the join that reached it. */
interface Scope {
  readonly collection: CollectionMeta;
  readonly qualifier: string;
  readonly join: Join | null;
}

/**
 * A condition, with the joins it reads (`uses`) and the joins it cannot hold without (`requires`:
 * it is false when their row is NULL-extended, so they can be inner joins). `and` keeps the items of
 * an AND so the top level can be split.
 */
interface Cond {
  readonly sql: string;
  readonly params: unknown[];
  readonly uses: ReadonlySet<Join>;
  readonly requires: ReadonlySet<Join>;
  readonly and?: readonly Cond[];
}

/**
 * Compiles a NocoBase filter into a WHERE condition over `collection`'s columns (qualified by
 * `options.alias`, else `"schema"."table"`). No filter (undefined, null, '', {}) gives `TRUE`.
 * A string is parsed as JSON (the `filter=` query parameter).
 *
 * Relation paths have NocoBase's join semantics: every mention of one path (`comments.a`, `comments.b`,
 * anywhere in the filter) is the same related row, and a record without related rows is seen once with
 * that row all NULL (so `{"author.name": {"$empty": true}}` also matches records without an author).
 * The conditions that read relations become one `EXISTS (… LEFT JOIN …)` per group of relations; joins
 * whose row the condition needs are inner joins, which PostgreSQL runs as semi-joins.
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
    env: { offset: checkTimezone(options.timezone), ...(options.now !== undefined ? { now: options.now } : {}) },
    joins: new Map(),
    conditions: 0,
    aliases: 0,
  };
  const root = parseFilter(filter);
  const scope: Scope = {
    collection,
    qualifier: options.alias !== undefined ? quoteIdent(options.alias) : qualified(collection.schema, collection.table),
    join: null,
  };
  const cond = root === undefined ? null : compileObject(root, scope, ctx, 1);
  if (!cond) return { sql: 'TRUE', params: [] };
  const part = finish(cond);
  if (part.params.length > MAX_FILTER_VALUES) {
    throw cbError('CB_ERR_VALIDATION', `The filter has too many values (more than ${MAX_FILTER_VALUES})`);
  }
  return part;
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

const NONE: ReadonlySet<Join> = new Set();

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

const union = (sets: readonly ReadonlySet<Join>[]) => new Set(sets.flatMap((s) => [...s]));
const intersection = (sets: readonly ReadonlySet<Join>[]) => new Set([...(sets[0] ?? [])].filter((j) => sets.every((s) => s.has(j))));

function join(conds: readonly Cond[], glue: 'AND' | 'OR'): Cond | null {
  const flat = glue === 'AND' ? conds.flatMap((c) => c.and ?? [c]) : conds;
  if (flat.length === 0) return null;
  if (flat.length === 1) return flat[0]!;
  return {
    sql: `(${flat.map((c) => c.sql).join(` ${glue} `)})`,
    params: flat.flatMap((c) => c.params),
    uses: union(flat.map((c) => c.uses)),
    requires: glue === 'AND' ? union(flat.map((c) => c.requires)) : intersection(flat.map((c) => c.requires)),
    ...(glue === 'AND' ? { and: flat } : {}),
  };
}

function not(cond: Cond): Cond {
  return { sql: `NOT ${cond.sql}`, params: cond.params, uses: cond.uses, requires: NONE };
}

/** A join and every join above it. */
function lineage(j: Join | null): Set<Join> {
  const out = new Set<Join>();
  for (let at = j; at; at = at.parent) out.add(at);
  return out;
}

/** `{ field: …, "rel.field": …, $and: [...], $or: [...], $not: {…} }` over one collection; AND of its keys. */
function compileObject(node: unknown, scope: Scope, ctx: Context, depth: number): Cond | null {
  enter(ctx, depth);
  if (!isPlainObject(node)) {
    throw cbError('CB_ERR_VALIDATION', `A filter must be an object of conditions (in collection "${scope.collection.name}")`);
  }
  const parts: Cond[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === '$and' || key === '$or') {
      const part = compileList(key, value, scope, ctx, depth + 1);
      if (part) parts.push(part);
      continue;
    }
    if (key === '$not') {
      const part = compileObject(value, scope, ctx, depth + 1);
      if (part) parts.push(not(part));
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
    if (isRelationType(field.type)) {
      const part = compileRelation(field, scope, rest.length > 0 ? { [rest.join('.')]: value } : value, ctx, depth + 1);
      if (part) parts.push(part);
      continue;
    }
    if (rest.length > 1 || (rest.length === 1 && !rest[0]!.startsWith('$'))) {
      throw cbError('CB_ERR_VALIDATION', `Field "${name}" has no sub-field "${rest.join('.')}"`, { field: name });
    }
    const part = compileField(field, scope, rest.length === 1 ? { [rest[0]!]: value } : value, ctx, depth + 1);
    if (part) parts.push(part);
  }
  return join(parts, 'AND');
}

/** `$and` / `$or`: the list itself is no level of nesting, its items are one below the object holding it. */
function compileList(op: '$and' | '$or', value: unknown, scope: Scope, ctx: Context, depth: number): Cond | null {
  const items = asArray(value);
  if (!items) throw cbError('CB_ERR_VALIDATION', `${op} needs an array of conditions`, { operator: op });
  if (items.length > ctx.maxConditions) tooMany(ctx);
  const parts = items.map((item) => compileObject(item, scope, ctx, depth)).filter((p): p is Cond => p !== null);
  return join(parts, op === '$and' ? 'AND' : 'OR');
}

/** The join for `field` from `scope`, made once per path. */
function joinFor(field: FieldMeta, scope: Scope, ctx: Context): Join {
  const path = scope.join ? `${scope.join.path}.${field.name}` : field.name;
  const known = ctx.joins.get(path);
  if (known) return known;
  const link = relationLink(field, scope.collection, ctx.lookup);
  const n = ++ctx.aliases;
  const made = relationJoin(link, scope.qualifier, `cb_r${n}`);
  const j: Join = { index: n, path, parent: scope.join, steps: made.steps, alias: made.alias, target: link.target };
  ctx.joins.set(path, j);
  return j;
}

/**
 * A relation key: `null`, `{$empty}` / `{$notExists}` (no related row), `{$notEmpty}` / `{$exists}`
 * (some related row; values ignored, as NocoBase) and the rest, conditions on the related row.
 */
function compileRelation(field: FieldMeta, scope: Scope, value: unknown, ctx: Context, depth: number): Cond | null {
  enter(ctx, depth);
  const j = joinFor(field, scope, ctx);
  const inner: Scope = { collection: j.target, qualifier: j.alias, join: j };
  const present = (want: boolean): Cond => {
    count(ctx);
    const sql = `${j.alias}.${quoteIdent(j.target.primaryKey)} IS ${want ? 'NOT ' : ''}NULL`;
    return { sql, params: [], uses: lineage(j), requires: want ? lineage(j) : NONE };
  };
  if (value === null) return present(false);
  if (!isPlainObject(value)) {
    throw cbError(
      'CB_ERR_VALIDATION',
      `Relation "${field.name}" needs an object of conditions on "${field.target}" (e.g. {"${field.name}.id": …})`,
      { field: field.name },
    );
  }
  const parts: Cond[] = [];
  const rest: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$empty' || key === '$notExists') parts.push(present(false));
    else if (key === '$notEmpty' || key === '$exists') parts.push(present(true));
    else if (key.startsWith('$') && key !== '$and' && key !== '$or' && key !== '$not') {
      throw cbError(
        'CB_ERR_VALIDATION',
        `Operator ${key} does not apply to relation "${field.name}"; compare one of its fields (e.g. "${field.name}.id")`,
        { field: field.name, operator: key },
      );
    } else rest[key] = v;
  }
  if (Object.keys(rest).length > 0) {
    const part = compileObject(rest, inner, ctx, depth);
    if (part) parts.push(part);
  }
  return join(parts, 'AND');
}

/** A column field's value: scalar (= $eq), null (IS NULL), array (= $in) or an object of operators. */
function compileField(field: FieldMeta, scope: Scope, value: unknown, ctx: Context, depth: number): Cond | null {
  enter(ctx, depth);
  assertFilterable(field);
  const col = `${scope.qualifier}.${quoteIdent(field.name)}`;
  const jsonish = field.type === 'json' || field.type === 'array';
  const leaf = (op: string, operand: unknown): Cond => {
    count(ctx);
    const part = compileOperator(field, col, op, operand, ctx.env);
    return { ...part, uses: lineage(scope.join), requires: rejectsNull(op, operand) ? lineage(scope.join) : NONE };
  };
  if (!isPlainObject(value) || (jsonish && !Object.keys(value).some((k) => k.startsWith('$')))) {
    return leaf(Array.isArray(value) && !jsonish ? '$in' : '$eq', value);
  }
  const parts: Cond[] = [];
  for (const [op, operand] of Object.entries(value)) {
    if (op === '$and' || op === '$or') {
      const items = asArray(operand);
      if (!items) throw cbError('CB_ERR_VALIDATION', `${op} on field "${field.name}" needs an array`, { field: field.name, operator: op });
      const sub = items.map((item) => compileField(field, scope, item, ctx, depth + 1)).filter((p): p is Cond => p !== null);
      const part = join(sub, op === '$and' ? 'AND' : 'OR');
      if (part) parts.push(part);
      continue;
    }
    if (op === '$not' && isPlainObject(operand)) {
      const part = compileField(field, scope, operand, ctx, depth + 1);
      if (part) parts.push(not(part));
      continue;
    }
    parts.push(leaf(op, operand));
  }
  return join(parts, 'AND');
}

/**
 * The top level: conditions on this collection's own columns stay as they are; those reading
 * relations are grouped by the relations they share (independent relations make independent
 * EXISTS) and each group becomes one EXISTS over its joins.
 */
function finish(cond: Cond): SqlFragment {
  const items = cond.and ?? [cond];
  const plain = items.filter((c) => c.uses.size === 0);
  const groups: Cond[][] = [];
  const rootsOf = (c: Cond) => new Set([...c.uses].map((j) => rootOf(j)));
  const groupRoots: Set<Join>[] = [];
  for (const c of items.filter((i) => i.uses.size > 0)) {
    const roots = rootsOf(c);
    const hits = groupRoots.map((r, i) => ([...roots].some((x) => r.has(x)) ? i : -1)).filter((i) => i >= 0);
    if (hits.length === 0) {
      groups.push([c]);
      groupRoots.push(roots);
      continue;
    }
    const [first, ...others] = hits;
    groups[first!]!.push(c);
    for (const r of roots) groupRoots[first!]!.add(r);
    for (const i of others.reverse()) {
      groups[first!]!.push(...groups[i]!);
      for (const r of groupRoots[i]!) groupRoots[first!]!.add(r);
      groups.splice(i, 1);
      groupRoots.splice(i, 1);
    }
  }
  const parts: { sql: string; params: unknown[] }[] = [...plain];
  for (const group of groups) parts.push(exists(group));
  if (parts.length === 1) return { sql: parts[0]!.sql, params: parts[0]!.params };
  return { sql: `(${parts.map((p) => p.sql).join(' AND ')})`, params: parts.flatMap((p) => p.params) };
}

function rootOf(j: Join): Join {
  let at = j;
  while (at.parent) at = at.parent;
  return at;
}

function exists(group: readonly Cond[]): { sql: string; params: unknown[] } {
  const joins = [...union(group.map((c) => c.uses))].sort((a, b) => a.index - b.index);
  const required = union(group.map((c) => c.requires));
  const steps = joins.flatMap((j) => j.steps.map((step) => ({ step, inner: required.has(j) })));
  const params = group.flatMap((c) => c.params);
  const conditions = group.map((c) => c.sql);
  // An inner first table goes in FROM with its link in WHERE: PostgreSQL then plans a semi-join
  // (a correlated ON clause would make it a per-row subplan). Otherwise a one-row base keeps the
  // NULL-extended row of records without related rows.
  const first = steps[0]!;
  let from = '(SELECT 1) AS "cb_one"';
  if (first.inner) {
    from = `${first.step.table} AS ${first.step.alias}`;
    conditions.unshift(first.step.on);
    steps.shift();
  }
  const rest = steps.map(({ step, inner }) => ` ${inner ? 'INNER JOIN' : 'LEFT JOIN'} ${step.table} AS ${step.alias} ON ${step.on}`).join('');
  return { sql: `EXISTS (SELECT 1 FROM ${from}${rest} WHERE ${conditions.join(' AND ')})`, params };
}
