import type { EntityManager } from '@mikro-orm/postgresql';
import { cbError } from '../errors/index.js';
import { extraCollectionOptions, parseCollectionDefinition, resolveRelation } from './collection-definition.js';
import { addColumnStatements, alterColumnStatements, createTableStatements, dropColumnStatement, dropTableStatement, foreignKeyStatements, referenceAction, referenceStatements, throughTableStatements } from './ddl.js';
import { hasColumn, isRelation, parseFieldDefinition } from './field-definition.js';
import {
  deleteCollectionRow,
  deleteFieldRows,
  insertCollection,
  insertFields,
  readCollection,
  readCollections,
  updateCollectionRow,
  updateFieldRow,
} from './metadata-store.js';
import { RESERVED_COLLECTIONS, SYSTEM_COLLECTIONS } from './names.js';
import { isPgError } from './sql.js';
import type { CollectionMeta, FieldMeta } from './types.js';
import { checkValue } from './values.js';
import { qualified, runSql } from '../sql/index.js';

export type LockFn = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

export interface CollectionManagerOptions {
  /** The app's PostgreSQL schema (migrated with 0002). */
  readonly schema: string;
  /** Snowflake generator; NocoBase-style `key`s of new collections and fields are its IDs in base 36. */
  readonly ids: { next(): number };
  /**
   * Serialises metadata changes across the cluster (e.g. `(key, fn) => withLock(adapter, key, fn, {ttlMs})`).
   * Each change also re-reads the metadata inside its transaction, so a stale cache never decides it.
   */
  readonly lock?: LockFn;
  /** Collection names refused (default RESERVED_COLLECTIONS; `cb_` / `pg_` prefixes always are). */
  readonly reservedCollections?: readonly string[];
  /**
   * Called after a change has committed and this node's cache holds it, with the collection's name.
   * The service publishes the sync signal here so other nodes `refresh()` that collection.
   */
  readonly onChange?: (collection: string) => void | Promise<void>;
}

/** DDL errors caused by the request or the data (not by us): a 400 with PostgreSQL's reason. */
const DDL_CLIENT_ERRORS = new Set(['42P07', '42701', '23505', '23502', '23503', '22P02', '22003', '22001', '22007', '22008', '42804', '42846', '2BP01', '42P16', '22021', '54011']);

/**
 * The collections of one app: metadata cached in memory, and every change made as ONE PostgreSQL
 * transaction holding both the DDL and the metadata rows (DDL is transactional in PostgreSQL), under
 * the cluster lock when one is given. A failed change leaves table and metadata as they were.
 */
export class CollectionManager {
  readonly schema: string;
  readonly #ids: { next(): number };
  readonly #lock: LockFn | undefined;
  readonly #reserved: readonly string[];
  readonly #onChange: ((collection: string) => void | Promise<void>) | undefined;
  #collections = new Map<string, CollectionMeta>();

  constructor(options: CollectionManagerOptions) {
    this.schema = options.schema;
    this.#ids = options.ids;
    this.#lock = options.lock;
    this.#reserved = options.reservedCollections ?? RESERVED_COLLECTIONS;
    this.#onChange = options.onChange;
  }

  /** A belongsToMany whose through collection is not a registered one gets its link table, unless it exists already (the other side's field made it). */
  async #makeThrough(tx: EntityManager, meta: CollectionMeta, field: FieldMeta, lookup: (n: string) => CollectionMeta | undefined): Promise<void> {
    if (field.type !== 'belongsToMany' || lookup(field.through!)) return;
    const exists = await runSql(tx, 'select 1 from information_schema.tables where table_schema = ? and table_name = ?', [this.schema, field.through!]);
    if (exists.rows.length > 0) return;
    for (const sql of throughTableStatements(this.schema, field.through!, meta, lookup(field.target!)!, field)) await runSql(tx, sql);
  }

  /** Reads every collection's metadata into the cache (at start and on a sync `resync`). */
  async load(em: EntityManager): Promise<void> {
    this.#collections = await readCollections(em, this.schema);
  }

  /** Re-reads one collection (on a sync signal naming it); drops it from the cache when gone. */
  async refresh(em: EntityManager, name: string): Promise<CollectionMeta | undefined> {
    const meta = await readCollection(em, this.schema, name);
    if (meta) this.#collections.set(name, meta);
    else this.#collections.delete(name);
    return meta;
  }

  get(name: string): CollectionMeta | undefined {
    return this.#collections.get(name);
  }

  /** Like get, but an unknown collection is CB_ERR_DATA_NOT_FOUND (404). */
  require(name: string): CollectionMeta {
    const meta = this.#collections.get(name);
    if (!meta) throw notFound(name);
    return meta;
  }

  list(): CollectionMeta[] {
    return [...this.#collections.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** collections:create. Makes the table and its metadata; returns the new collection. */
  async create(em: EntityManager, definition: unknown): Promise<CollectionMeta> {
    return this.#change(em, async (tx) => {
      const others = await readCollections(tx, this.schema);
      const meta = parseCollectionDefinition(definition, this.schema, (n) => others.get(n), () => this.#newKey(), this.#reserved);
      if (others.has(meta.name)) throw cbError('CB_ERR_VALIDATION', `collection "${meta.name}" already exists`);
      await insertCollection(tx, meta);
      await insertFields(tx, this.schema, meta.name, [...meta.fields.values()]);
      for (const sql of createTableStatements(meta, (n) => others.get(n))) await runSql(tx, sql);
      for (const field of meta.fields.values()) await this.#makeThrough(tx, meta, field, (n) => (n === meta.name ? meta : others.get(n)));
      return meta.name;
    });
  }

  /** collections:update: title and other display options; structure changes go through fields. */
  async update(em: EntityManager, name: string, changes: unknown): Promise<CollectionMeta> {
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) throw cbError('CB_ERR_VALIDATION', 'the changes must be an object');
    const body = changes as Record<string, unknown>;
    return this.#change(em, async (tx) => {
      const meta = await this.#read(tx, name);
      if (body.name !== undefined && body.name !== name) throw cbError('CB_ERR_VALIDATION', `collection "${name}" cannot be renamed`);
      if (body.fields !== undefined) throw cbError('CB_ERR_VALIDATION', 'fields are changed through collections/<name>/fields, not collections:update');
      if (body.title !== undefined && body.title !== null && typeof body.title !== 'string') throw cbError('CB_ERR_VALIDATION', 'title must be a string');
      const fixed: Record<string, unknown> = { autoGenId: meta.autoGenId ?? false, createdAt: meta.timestamps.createdAt, updatedAt: meta.timestamps.updatedAt };
      for (const [prop, current] of Object.entries(fixed)) {
        if (body[prop] !== undefined && body[prop] !== current) throw cbError('CB_ERR_VALIDATION', `${prop} of collection "${name}" cannot be changed (add or remove the field instead)`);
      }
      const title = body.title === undefined ? meta.title : (body.title as string | null) ?? undefined;
      const { key: _key, ...extra } = extraCollectionOptions(body);
      const options = { ...meta.options, ...extra };
      await updateCollectionRow(tx, {
        ...meta,
        ...(title !== undefined ? { title } : { title: undefined }),
        ...(Object.keys(options).length > 0 ? { options } : {}),
      });
      return name;
    });
  }

  /**
   * collections:destroy: drops the table and its metadata. Returns 1, or 0 when there was no such
   * collection (as NocoBase). Refused while another collection's relation targets it.
   */
  async destroy(em: EntityManager, name: string): Promise<number> {
    let count = 0;
    await this.#run(em, async (tx) => {
      const all = await readCollections(tx, this.schema);
      const meta = all.get(name);
      if (!meta) return null;
      if (SYSTEM_COLLECTIONS[name]) throw cbError('CB_ERR_VALIDATION', `collection "${name}" is built in and cannot be removed`);
      // As NocoBase: the relation fields of other collections that point at this one (target or
      // through) go with it; a belongsTo's foreign-key column goes with its field.
      const touched: string[] = [];
      for (const c of all.values()) {
        if (c.name === name) continue;
        const gone = [...c.fields.values()].filter((f) => isRelation(f) && (f.target === name || f.through === name));
        if (gone.length === 0) continue;
        const drops = new Set<string>();
        for (const f of gone) {
          if (f.type !== 'belongsTo') continue;
          const fk = c.fields.get(f.foreignKey!);
          const shared = [...c.fields.values()].some((o) => !gone.includes(o) && o.type === 'belongsTo' && o.foreignKey === f.foreignKey);
          if (fk?.isForeignKey && !shared) drops.add(fk.name);
        }
        for (const column of drops) await runSql(tx, dropColumnStatement(c, column));
        await deleteFieldRows(tx, this.schema, c.name, [...gone.map((f) => f.name), ...drops]);
        touched.push(c.name);
      }
      // Implicit through tables of this collection's belongsToMany fields and of the removed ones.
      const throughs = new Set<string>();
      for (const c of all.values()) {
        for (const f of c.fields.values()) if (f.type === 'belongsToMany' && (c.name === name || f.target === name) && f.through && !all.has(f.through)) throughs.add(f.through);
      }
      for (const through of throughs) await runSql(tx, `drop table if exists ${qualified(this.schema, through)}`);
      // cascade: a foreign key constraint another table's own column still holds on this one.
      await runSql(tx, `${dropTableStatement(meta)} cascade`);
      count = await deleteCollectionRow(tx, this.schema, name);
      return { name, touched };
    });
    return count;
  }

  /** fields:create: adds the column (and a belongsTo's foreign key, constraint and index). Returns the field. */
  async addField(em: EntityManager, collection: string, definition: unknown): Promise<FieldMeta> {
    let added: FieldMeta | undefined;
    await this.#change(em, async (tx) => {
      const all = await readCollections(tx, this.schema);
      const meta = all.get(collection);
      if (!meta) throw notFound(collection);
      const field = parseFieldDefinition(definition, collection, this.#newKey());
      if (meta.fields.has(field.name)) throw cbError('CB_ERR_VALIDATION', `Field name "${field.name}" already exists in collection "${collection}"`);
      if (field.primaryKey) throw cbError('CB_ERR_VALIDATION', `collection "${collection}" already has its primary key "${meta.primaryKey}"`);
      if (field.defaultValue !== undefined && hasColumn(field)) checkValue(field, field.defaultValue);
      const fields = isRelation(field) ? resolveRelation(field, meta, (n) => all.get(n), () => this.#newKey()) : [field];
      const next: CollectionMeta = { ...meta, fields: new Map([...meta.fields, ...fields.map((f) => [f.name, f] as const)]) };
      for (const f of fields) {
        if (hasColumn(f)) for (const sql of addColumnStatements(meta, f)) await runSql(tx, sql);
      }
      if (field.type === 'belongsTo') {
        const resolved = fields[0]!;
        const target = resolved.target === collection ? next : all.get(resolved.target!)!;
        for (const sql of foreignKeyStatements(meta, resolved.foreignKey!, target, resolved.targetKey!, referenceAction(next, resolved.foreignKey!, target))) await runSql(tx, sql);
      }
      if (field.type === 'hasMany' || field.type === 'hasOne') {
        const target = fields[0]!.target === collection ? next : all.get(fields[0]!.target!)!;
        for (const sql of referenceStatements(next, fields[0]!, target)) await runSql(tx, sql);
      }
      await this.#makeThrough(tx, next, fields[0]!, (n) => (n === collection ? next : all.get(n)));
      await insertFields(tx, this.schema, collection, fields);
      added = fields[0];
      return collection;
    });
    return this.require(collection).fields.get(added!.name)!;
  }

  /**
   * fields:update. Display options change freely; `type`/`length`/`precision`/`scale` alter the column
   * (`ALTER COLUMN … TYPE … USING col::type`, a 400 with PostgreSQL's reason when the data does not
   * convert); `unique` and `allowNull` add or drop the constraint. Renaming is refused (add a new field
   * and copy), as are changes of the primary key, of relations' keys and targets, and to or from the
   * password/encrypted types (their stored values would not convert).
   */
  async updateField(em: EntityManager, collection: string, name: string, changes: unknown): Promise<FieldMeta> {
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) throw cbError('CB_ERR_VALIDATION', 'the changes must be an object');
    const body = changes as Record<string, unknown>;
    await this.#change(em, async (tx) => {
      const meta = await this.#read(tx, collection);
      const before = meta.fields.get(name);
      if (!before) throw notFound(collection, name);
      const where = `field "${name}" of collection "${collection}"`;
      if (isSystemField(collection, name) && Object.keys(body).some((k) => k !== 'uiSchema' && k !== 'name')) {
        throw cbError('CB_ERR_VALIDATION', `${where} is built in: only its uiSchema can change`);
      }
      if (body.name !== undefined && body.name !== name) throw cbError('CB_ERR_VALIDATION', `${where} cannot be renamed; add a new field and copy the values`);
      const { key: _key, name: _name, type: _type, options: beforeOptions, isForeignKey: _fk, ...beforeDef } = before;
      const merged: Record<string, unknown> = { ...beforeDef, ...beforeOptions, ...body, name };
      for (const prop of Object.keys(merged)) if (merged[prop] === null && prop !== 'defaultValue') delete merged[prop];
      merged.type = body.type ?? before.type;
      const parsed = parseFieldDefinition(merged, collection, before.key);
      const after: FieldMeta = { ...parsed, ...(before.isForeignKey ? { isForeignKey: true } : {}) };
      const changed = (prop: keyof FieldMeta) => JSON.stringify(before[prop]) !== JSON.stringify(after[prop]);
      if (changed('primaryKey') || (before.primaryKey && (changed('type') || changed('length')))) {
        throw cbError('CB_ERR_VALIDATION', `${where}: the primary key cannot be changed`);
      }
      if (isRelation(before) || isRelation(after)) {
        if (changed('type') || changed('target') || changed('foreignKey') || changed('targetKey') || changed('sourceKey')) {
          throw cbError('CB_ERR_VALIDATION', `${where}: a relation's type, target and keys cannot be changed; remove it and add a new one`);
        }
      } else {
        const secret = ['password', 'encrypted'];
        if (changed('type') && (secret.includes(before.type) || secret.includes(after.type))) {
          throw cbError('CB_ERR_VALIDATION', `${where}: the type cannot change to or from ${before.type === 'password' || after.type === 'password' ? 'password' : 'encrypted'}`);
        }
        if (before.isForeignKey && changed('type')) throw cbError('CB_ERR_VALIDATION', `${where} is a foreign key; its type follows the target's key`);
        if (after.defaultValue !== undefined) checkValue(after, after.defaultValue);
        for (const sql of alterColumnStatements(meta, before, after)) await runSql(tx, sql);
      }
      await updateFieldRow(tx, this.schema, collection, after);
      return collection;
    });
    return this.require(collection).fields.get(name)!;
  }

  /**
   * fields:destroy: drops the column (a belongsTo also drops the foreign-key column it made).
   * Refused for the primary key and for a column another relation depends on. Returns true.
   */
  async removeField(em: EntityManager, collection: string, name: string): Promise<true> {
    await this.#change(em, async (tx) => {
      const all = await readCollections(tx, this.schema);
      const meta = all.get(collection);
      if (!meta) throw notFound(collection);
      const field = meta.fields.get(name);
      if (!field) throw notFound(collection, name);
      const where = `field "${name}" of collection "${collection}"`;
      if (isSystemField(collection, name)) throw cbError('CB_ERR_VALIDATION', `${where} is built in and cannot be removed`);
      if (name === meta.primaryKey) throw cbError('CB_ERR_VALIDATION', `${where} is the primary key and cannot be removed`);
      const drops = new Set<string>(hasColumn(field) ? [name] : []);
      if (field.type === 'belongsTo') {
        const fk = meta.fields.get(field.foreignKey!);
        const shared = [...meta.fields.values()].some((f) => f !== field && f.type === 'belongsTo' && f.foreignKey === field.foreignKey);
        if (fk?.isForeignKey && !shared) drops.add(fk.name);
      }
      const dependents: string[] = [];
      for (const c of all.values()) {
        for (const f of c.fields.values()) {
          if (c.name === collection && (f === field || drops.has(f.name))) continue;
          if (c.name === collection && f.type === 'belongsTo' && drops.has(f.foreignKey!)) dependents.push(`${c.name}.${f.name}`);
          if (f.type === 'belongsTo' && f.target === collection && drops.has(f.targetKey!)) dependents.push(`${c.name}.${f.name}`);
          if (f.type === 'hasMany' && f.target === collection && drops.has(f.foreignKey!)) dependents.push(`${c.name}.${f.name}`);
          if (f.type === 'hasMany' && c.name === collection && drops.has(f.sourceKey!)) dependents.push(`${c.name}.${f.name}`);
        }
      }
      if (dependents.length > 0) throw cbError('CB_ERR_VALIDATION', `${where} is used by ${dependents.join(', ')}; remove those first`);
      for (const column of drops) await runSql(tx, dropColumnStatement(meta, column));
      await deleteFieldRows(tx, this.schema, collection, [name, ...[...drops].filter((d) => d !== name)]);
      if ((name === 'createdAt' || name === 'updatedAt') && meta.timestamps[name]) {
        await updateCollectionRow(tx, { ...meta, timestamps: { ...meta.timestamps, [name]: false } });
      }
      return collection;
    });
    return true;
  }

  #newKey(): string {
    return this.#ids.next().toString(36);
  }

  async #read(tx: EntityManager, name: string): Promise<CollectionMeta> {
    const meta = await readCollection(tx, this.schema, name);
    if (!meta) throw notFound(name);
    return meta;
  }

  /** A change that returns the collection to re-read into the cache once committed. */
  async #change(em: EntityManager, work: (tx: EntityManager) => Promise<string>): Promise<CollectionMeta> {
    const name = await this.#run(em, work);
    return this.require(name!);
  }

  /**
   * Runs `work` in one transaction under the lock; after the commit, re-reads the collection it names
   * (null: nothing changed) into the cache and tells onChange. PostgreSQL errors a request can cause
   * become a 400 with PostgreSQL's reason.
   */
  async #run(em: EntityManager, work: (tx: EntityManager) => Promise<string | { name: string; touched: readonly string[] } | null>): Promise<string | null> {
    const transaction = () =>
      em.transactional(async (tx) => {
        const done = await work(tx);
        if (done === null) return null;
        const { name, touched } = typeof done === 'string' ? { name: done, touched: [] } : done;
        // Read back inside the transaction: the cache gets exactly what commits.
        const others = new Map<string, CollectionMeta | undefined>();
        for (const other of touched) others.set(other, await readCollection(tx, this.schema, other));
        return { name, meta: await readCollection(tx, this.schema, name), others };
      });
    let result: { name: string; meta: CollectionMeta | undefined; others: Map<string, CollectionMeta | undefined> } | null;
    try {
      result = await (this.#lock ? this.#lock(`collections:${this.schema}`, transaction) : transaction());
    } catch (err) {
      if (isPgError(err) && DDL_CLIENT_ERRORS.has(err.code!)) {
        throw cbError('CB_ERR_VALIDATION', `${err.message}${err.detail ? ` (${err.detail})` : ''}`);
      }
      throw err;
    }
    if (result === null) return null;
    for (const [name, meta] of [[result.name, result.meta] as const, ...result.others]) {
      if (meta) this.#collections.set(name, meta);
      else this.#collections.delete(name);
    }
    for (const other of result.others.keys()) await this.#onChange?.(other);
    await this.#onChange?.(result.name);
    return result.name;
  }
}

function isSystemField(collection: string, field: string): boolean {
  return SYSTEM_COLLECTIONS[collection]?.includes(field) ?? false;
}

function notFound(collection: string, field?: string) {
  return field === undefined
    ? cbError('CB_ERR_DATA_NOT_FOUND', `collection "${collection}" does not exist`)
    : cbError('CB_ERR_DATA_NOT_FOUND', `field "${field}" does not exist in collection "${collection}"`);
}
