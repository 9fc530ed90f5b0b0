import type { EntityManager } from '@mikro-orm/postgresql';
import { cbError } from '../errors/index.js';
import { qualified, quoteIdent, runSql } from '../sql/index.js';
import { columnType } from './field-definition.js';
import type { RecordValues } from './record-codec.js';
import { relationLink, type RelationLink } from './relation-keys.js';
import type { CollectionLookup, CollectionMeta, FieldMeta, SqlFragment } from './types.js';

/**
 * Nested writes in `:create` / `:update`, as NocoBase's update-associations (its semantics, our SQL):
 * - belongsTo: a key (or `{key}`) links; `null` unlinks; an object with more values links the
 *   existing record its key names, or creates a new one (no key, or a key no record has);
 * - hasOne: the same, through the target's foreign key (the previous target is unlinked);
 * - hasMany / belongsToMany: an array of keys and objects (a single key or object counts as a list
 *   of one) becomes the whole set: objects without a key (or with an unknown one) are created, keys
 *   name existing records (an unknown key is a 400), and on update the records not listed are
 *   unlinked (hasMany: foreign key set to null; belongsToMany: the through row deleted). `null` is
 *   the empty set.
 * Existing records are linked, never changed, unless `updateAssociationValues` names the relation.
 *
 * Every statement runs per relation and level over all the records of the write at once (one
 * lookup, one insert, one relink), never per record. Records created or relinked here go through
 * the record repository, so their write hooks (workflow triggers) fire, inside the same transaction.
 */

/** The record repository operations nested writes use (RecordRepository provides them). */
export interface NestedWriter {
  create(tx: EntityManager, collection: string, values: RecordValues[], options: NestedOptions): Promise<RecordValues[]>;
  updateWhere(tx: EntityManager, collection: string, where: SqlFragment, values: RecordValues, options: NestedOptions): Promise<RecordValues[]>;
  /** Sets `column` of the records whose `keyColumn` is each pair's key to that pair's value, in one statement. */
  setEach(tx: EntityManager, collection: string, keyColumn: string, column: string, pairs: ReadonlyArray<readonly [unknown, unknown]>, options: NestedOptions): Promise<RecordValues[]>;
  findWhere(tx: EntityManager, collection: string, where: SqlFragment): Promise<RecordValues[]>;
}

/** The write options nested writes hand on (opaque here, except the relations whose records may be updated). */
export interface NestedOptions {
  readonly updateAssociationValues?: readonly string[];
}

/** Relation values of one record that need nested writes, by field name. */
export type RelationValues = ReadonlyMap<string, unknown>;

const TO_TARGET_TYPES = new Set(['hasOne', 'hasMany', 'belongsToMany']);

function isPlainObject(value: unknown): value is RecordValues {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isKey(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

/**
 * The relation values of `body` that need nested writes, taken out of it. A belongsTo given as a key,
 * `null` or `{key}` alone stays in the body (the codec writes it as the foreign key).
 */
export function takeRelations(meta: CollectionMeta, body: RecordValues): { body: RecordValues; relations?: Map<string, unknown> } {
  let rest = body;
  let relations: Map<string, unknown> | undefined;
  for (const [name, value] of Object.entries(body)) {
    const field = meta.fields.get(name);
    if (!field || value === undefined) continue;
    if (field.type === 'belongsTo' || field.type === 'hasOne') {
      if (Array.isArray(value)) throw cbError('CB_ERR_VALIDATION', `field "${name}" is a ${field.type} relation: its value cannot be an array`);
    }
    const nested = TO_TARGET_TYPES.has(field.type) || (field.type === 'belongsTo' && isPlainObject(value) && !onlyKey(field, value));
    if (!nested) continue;
    relations ??= new Map();
    relations.set(name, value);
    if (rest === body) rest = { ...body };
    delete rest[name];
  }
  return relations ? { body: rest, relations } : { body };
}

function onlyKey(field: FieldMeta, value: RecordValues): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === (field.targetKey ?? 'id');
}

/** One nested item: a key of an existing record, or an object (new, or existing when its key is found). */
type Item = { readonly key: string; readonly values?: undefined } | { readonly key?: string; readonly values: RecordValues };

function items(field: FieldMeta, link: RelationLink, value: unknown): Item[] {
  if (value === null || value === undefined) return [];
  const list = link.toMany ? (Array.isArray(value) ? value : [value]) : [value];
  const out: Item[] = [];
  for (const item of list) {
    if (item === null || item === undefined) continue;
    if (isKey(item)) out.push({ key: String(item) });
    else if (isPlainObject(item)) {
      const key = item[link.targetKey];
      if (key !== undefined && key !== null && !isKey(key)) throw cbError('CB_ERR_VALIDATION', `field "${field.name}": "${link.targetKey}" must be a key`);
      out.push(key === undefined || key === null ? { values: item } : { key: String(key), values: item });
    } else throw cbError('CB_ERR_VALIDATION', `field "${field.name}" takes keys or objects of "${link.target.name}", not ${Array.isArray(item) ? 'an array' : typeof item}`);
  }
  return out;
}

function keyIn(meta: CollectionMeta, column: string, keys: readonly string[]): SqlFragment {
  return { sql: `${quoteIdent(column)} = any(?::${keyType(meta, column)}[])`, params: [[...keys]] };
}

function or(parts: readonly SqlFragment[]): SqlFragment {
  return { sql: parts.map((p) => `(${p.sql})`).join(' OR ') || 'FALSE', params: parts.flatMap((p) => p.params) };
}

/** What the nested writes of one relation produced for each record of the write (index → value). */
export type Attached = Map<number, Map<string, unknown>>;

function attach(out: Attached, index: number, field: string, value: unknown): void {
  let m = out.get(index);
  if (!m) out.set(index, (m = new Map()));
  m.set(field, value);
}

export class NestedWrites {
  constructor(
    private readonly writer: NestedWriter,
    private readonly lookup: CollectionLookup,
    private readonly tx: EntityManager,
    private readonly options: NestedOptions,
  ) {}

  /** Children's options: `updateAssociationValues` paths below `field` (NocoBase's getKeysByPrefix). */
  #below(field: string): NestedOptions {
    const paths = (this.options.updateAssociationValues ?? []).filter((p) => p.startsWith(`${field}.`)).map((p) => p.slice(field.length + 1));
    return { ...this.options, updateAssociationValues: paths };
  }

  #updatesValues(field: string): boolean {
    return (this.options.updateAssociationValues ?? []).includes(field);
  }

  /** Existing target records by key (as strings), one query. */
  async #existing(link: RelationLink, keys: readonly string[]): Promise<Map<string, RecordValues>> {
    if (keys.length === 0) return new Map();
    const rows = await this.writer.findWhere(this.tx, link.target.name, keyIn(link.target, link.targetKey, [...new Set(keys)]));
    return new Map(rows.map((r) => [String(r[link.targetKey]), r]));
  }

  /** With `updateAssociationValues`: the existing records given as objects get their other values. */
  async #updateExisting(link: RelationLink, given: ReadonlyArray<{ key: string; values: RecordValues }>, strip: readonly string[]): Promise<Map<string, RecordValues>> {
    const out = new Map<string, RecordValues>();
    if (!this.#updatesValues(link.field.name)) return out;
    for (const { key, values } of given) {
      const rest = Object.fromEntries(Object.entries(values).filter(([k]) => k !== link.targetKey && !strip.includes(k)));
      if (Object.keys(rest).length === 0) continue;
      // Different values per record: one statement each, only when the caller asks for it.
      const [row] = await this.writer.updateWhere(this.tx, link.target.name, keyIn(link.target, link.targetKey, [key]), rest, this.#below(link.field.name));
      if (row) out.set(key, row);
    }
    return out;
  }

  /**
   * Before the records are written: belongsTo values given as objects. Links existing targets and
   * creates new ones (one insert per relation for all records), then sets the foreign keys in `bodies`.
   */
  async belongsTo(source: CollectionMeta, bodies: RecordValues[], relations: ReadonlyArray<RelationValues | undefined>): Promise<Attached> {
    const out: Attached = new Map();
    for (const field of source.fields.values()) {
      if (field.type !== 'belongsTo') continue;
      const given = relations.flatMap((r, i) => (r?.has(field.name) ? [{ i, value: r.get(field.name) as RecordValues }] : []));
      if (given.length === 0) continue;
      const link = relationLink(field, source, this.lookup);
      for (const { i } of given) {
        if (bodies[i]![link.foreignKey] !== undefined) throw cbError('CB_ERR_VALIDATION', `give either "${field.name}" or "${link.foreignKey}", not both`);
      }
      const list = given.map(({ i, value }) => ({ i, item: items(field, link, value)[0]! }));
      const found = await this.#existing(link, list.flatMap(({ item }) => (item.key !== undefined ? [item.key] : [])));
      const updated = await this.#updateExisting(link, list.flatMap(({ item }) => (item.key !== undefined && found.has(item.key) ? [{ key: item.key, values: item.values! }] : [])), []);
      const fresh = list.filter(({ item }) => item.key === undefined || !found.has(item.key));
      const created = fresh.length > 0 ? await this.writer.create(this.tx, link.target.name, fresh.map(({ item }) => item.values!), this.#below(field.name)) : [];
      const createdAt = new Map(fresh.map(({ i }, n) => [i, created[n]!]));
      for (const { i, item } of list) {
        const record = createdAt.get(i) ?? updated.get(item.key!) ?? found.get(item.key!)!;
        bodies[i] = { ...bodies[i], [link.foreignKey]: record[link.targetKey] };
        attach(out, i, field.name, record);
      }
    }
    return out;
  }

  /**
   * After the records are written (`records`, decoded, in body order): hasOne, hasMany and
   * belongsToMany values. `replace`: an update, where what is not listed any more is unlinked.
   */
  async toTargets(source: CollectionMeta, records: readonly RecordValues[], relations: ReadonlyArray<RelationValues | undefined>, replace: boolean, out: Attached): Promise<void> {
    for (const field of source.fields.values()) {
      if (!TO_TARGET_TYPES.has(field.type)) continue;
      const link = relationLink(field, source, this.lookup);
      const given = records.flatMap((record, i) => {
        const r = relations[i];
        if (!r?.has(field.name)) return [];
        const value = record[link.sourceKey];
        if (value === null || value === undefined) throw cbError('CB_ERR_VALIDATION', `field "${field.name}": the record has no "${link.sourceKey}" to link by`);
        return [{ i, source: value, items: items(field, link, r.get(field.name)) }];
      });
      if (given.length === 0) continue;
      if (link.type === 'hasOne') {
        for (const g of given) if (g.items.length > 1) throw cbError('CB_ERR_VALIDATION', `field "${field.name}" is a hasOne relation: give one record`);
      }
      const keyed = given.flatMap((g) => g.items.flatMap((it) => (it.key !== undefined ? [it] : [])));
      const found = await this.#existing(link, keyed.map((it) => it.key!));
      const unknown = keyed.filter((it) => it.values === undefined && !found.has(it.key!)).map((it) => it.key!);
      if (unknown.length > 0) throw cbError('CB_ERR_VALIDATION', `field "${field.name}": no "${link.target.name}" record with ${link.targetKey} ${[...new Set(unknown)].join(', ')}`);
      if (link.type === 'belongsToMany') await this.#throughLinks(source, link, given, found, replace, out);
      else await this.#foreignKeyLinks(source, link, given, found, replace, out);
    }
  }

  /** hasMany / hasOne: the target's foreign key points at the record. */
  async #foreignKeyLinks(source: CollectionMeta, link: RelationLink, given: ReadonlyArray<{ i: number; source: unknown; items: Item[] }>, found: Map<string, RecordValues>, replace: boolean, out: Attached): Promise<void> {
    const fk = link.foreignKey;
    // The reverse belongsTo in a child's values is ignored (NocoBase's reverse association pair): the child belongs here.
    const reverse = [...link.target.fields.values()].filter((f) => f.type === 'belongsTo' && (f.foreignKey ?? `${f.name}Id`) === fk && f.target === source.name).map((f) => f.name);
    const strip = [fk, ...reverse];
    const owner = new Map<string, number>();
    for (const g of given) {
      for (const it of g.items) {
        if (it.key === undefined || !found.has(it.key)) continue;
        if (owner.has(it.key) && owner.get(it.key) !== g.i) throw cbError('CB_ERR_VALIDATION', `field "${link.field.name}": "${link.target.name}" ${it.key} cannot belong to two records`);
        owner.set(it.key, g.i);
      }
    }
    if (replace) {
      const others = given.map((g) => {
        const kept = g.items.flatMap((it) => (it.key !== undefined && found.has(it.key) ? [it.key] : []));
        const mine = { sql: `${quoteIdent(fk)} = ?`, params: [g.source] };
        if (kept.length === 0) return mine;
        const not = keyIn(link.target, link.targetKey, kept);
        return { sql: `${mine.sql} AND NOT (${not.sql})`, params: [...mine.params, ...not.params] };
      });
      await this.writer.updateWhere(this.tx, link.target.name, or(others), { [fk]: null }, this.#below(link.field.name));
    }
    const moves = given.flatMap((g) => g.items.flatMap((it) => (it.key !== undefined && found.has(it.key) && String(found.get(it.key)![fk]) !== String(g.source) ? [[it.key, g.source] as const] : [])));
    const moved = new Map<string, RecordValues>();
    if (moves.length > 0) for (const r of await this.writer.setEach(this.tx, link.target.name, link.targetKey, fk, moves, this.#below(link.field.name))) moved.set(String(r[link.targetKey]), r);
    const existingGiven = given.flatMap((g) => g.items.flatMap((it) => (it.key !== undefined && it.values !== undefined && found.has(it.key) ? [{ key: it.key, values: it.values }] : [])));
    const updated = await this.#updateExisting(link, existingGiven, strip);
    const fresh = given.flatMap((g) => g.items.flatMap((it, n) => (it.key === undefined || !found.has(it.key) ? [{ g, n, values: { ...withoutKeys(it.values!, strip), [fk]: g.source } }] : [])));
    const created = fresh.length > 0 ? await this.writer.create(this.tx, link.target.name, fresh.map((f) => f.values), this.#below(link.field.name)) : [];
    const createdAt = new Map(fresh.map((f, n) => [`${f.g.i}:${f.n}`, created[n]!]));
    for (const g of given) {
      const list = g.items.map((it, n) => createdAt.get(`${g.i}:${n}`) ?? updated.get(it.key!) ?? moved.get(it.key!) ?? found.get(it.key!)!);
      attach(out, g.i, link.field.name, link.toMany ? list : (list[0] ?? null));
    }
  }

  /** belongsToMany: through rows (one read of the current links, one delete, one insert). */
  async #throughLinks(source: CollectionMeta, link: RelationLink, given: ReadonlyArray<{ i: number; source: unknown; items: Item[] }>, found: Map<string, RecordValues>, replace: boolean, out: Attached): Promise<void> {
    const existingGiven = given.flatMap((g) => g.items.flatMap((it) => (it.key !== undefined && it.values !== undefined && found.has(it.key) ? [{ key: it.key, values: it.values }] : [])));
    const updated = await this.#updateExisting(link, existingGiven, []);
    const fresh = given.flatMap((g) => g.items.flatMap((it, n) => (it.key === undefined || !found.has(it.key) ? [{ g, n, values: it.values! }] : [])));
    const created = fresh.length > 0 ? await this.writer.create(this.tx, link.target.name, fresh.map((f) => f.values), this.#below(link.field.name)) : [];
    const createdAt = new Map(fresh.map((f, n) => [`${f.g.i}:${f.n}`, created[n]!]));
    const wanted = given.map((g) => ({ g, records: g.items.map((it, n) => createdAt.get(`${g.i}:${n}`) ?? updated.get(it.key!) ?? found.get(it.key!)!) }));
    await this.#setThrough(source, link, wanted.map(({ g, records }) => ({ source: g.source, targets: records.map((r) => r[link.targetKey]) })), replace);
    for (const { g, records } of wanted) attach(out, g.i, link.field.name, records);
  }

  async #setThrough(source: CollectionMeta, link: RelationLink, wanted: ReadonlyArray<{ source: unknown; targets: readonly unknown[] }>, replace: boolean): Promise<void> {
    const through = qualified(link.through!.schema, link.through!.table);
    const fk = quoteIdent(link.foreignKey);
    const other = quoteIdent(link.otherKey!);
    const sourceType = keyType(source, link.sourceKey);
    const targetType = keyType(link.target, link.targetKey);
    const sources = wanted.map((w) => String(w.source));
    const current = (await runSql(this.tx, `select ${fk}::text as s, ${other}::text as t from ${through} where ${fk} = any(?::${sourceType}[])`, [sources])).rows;
    const have = new Set(current.map((r) => `${String(r.s)}\u0000${String(r.t)}`));
    const want = new Set(wanted.flatMap((w) => w.targets.map((t) => `${String(w.source)}\u0000${String(t)}`)));
    if (replace) {
      const drop = current.filter((r) => !want.has(`${String(r.s)}\u0000${String(r.t)}`));
      if (drop.length > 0) {
        await runSql(this.tx, `delete from ${through} where (${fk}, ${other}) in (select * from unnest(?::${sourceType}[], ?::${targetType}[]))`, [drop.map((r) => String(r.s)), drop.map((r) => String(r.t))]);
      }
    }
    const add = [...want].filter((p) => !have.has(p)).map((p) => p.split('\u0000') as [string, string]);
    if (add.length === 0) return;
    const registered = this.lookup(link.through!.table);
    if (registered && registered.schema === link.through!.schema) {
      // A through collection of its own (its key, timestamps, hooks): written as records.
      await this.writer.create(this.tx, registered.name, add.map(([s, t]) => ({ [link.foreignKey]: s, [link.otherKey!]: t })), {});
      return;
    }
    await runSql(this.tx, `insert into ${through} (${fk}, ${other}) select * from unnest(?::${sourceType}[], ?::${targetType}[]) on conflict do nothing`, [add.map((p) => p[0]), add.map((p) => p[1])]);
  }
}

function withoutKeys(values: RecordValues, keys: readonly string[]): RecordValues {
  return Object.fromEntries(Object.entries(values).filter(([k]) => !keys.includes(k)));
}

/** The SQL type of a key column (what a through table's column pointing at it has too). */
function keyType(meta: CollectionMeta, column: string): string {
  const field = meta.fields.get(column);
  return field ? columnType(field) : 'text';
}
