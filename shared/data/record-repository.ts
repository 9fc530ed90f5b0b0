import type { EntityManager } from '@mikro-orm/postgresql';
import { cbError } from '../errors/index.js';
import { columnType, hasColumn } from './field-definition.js';
import { assertBody, decodeRow, encodeForInsert, encodeForUpdate, primaryKeyParam, unknownKeys, type RecordValues } from './record-codec.js';
import { withoutServerManaged } from './server-managed.js';
import { NestedWrites, takeRelations, type Attached, type NestedWriter, type RelationValues } from './nested-writes.js';
import { isPgError, type PgError } from './sql.js';
import type { SqlFragment, CollectionMeta } from './types.js';
import { assertAesKey, encodeForWrite, isReadable, type CodecOptions, type ScryptParams } from './values.js';
import { assertBeforeDeadline, deadlineError, isDeadlineError, limitTransaction, qualified, quoteIdent, runSql, type Deadline } from '../sql/index.js';

/** A committed-or-about-to-commit write, as hooks see it. Records are decoded (no passwords). */
export interface WriteEvent {
  readonly type: 'create' | 'update' | 'destroy';
  readonly collection: CollectionMeta;
  readonly records: readonly RecordValues[];
  /** False when the writer asked that workflows not be triggered (an import without that option). */
  readonly triggerWorkflows: boolean;
  /** Updates: the fields the write set (named in its values), for "changed fields" conditions. Empty otherwise. */
  readonly changed: readonly string[];
  /** Registers work to run once the write has committed (never when it rolls back). */
  afterCommit(fn: () => void | Promise<void>): void;
}

/** Where records' collections come from: the CollectionManager satisfies it. */
export interface CollectionSource {
  get(name: string): CollectionMeta | undefined;
  /** Re-reads one collection from the database (used once before refusing an unknown collection or field). */
  refresh?(em: EntityManager, name: string): Promise<CollectionMeta | undefined>;
}

export interface RecordRepositoryOptions {
  readonly collections: CollectionSource;
  /** Snowflake generator for snowflakeId primary keys. */
  readonly ids: { next(): number };
  /** 32-byte key for encrypted fields (APP_AES_SECRET_KEY). Without it, encrypted fields are a 500 CB_ERR_DATA_NO_AES_KEY. */
  readonly aesKey?: Buffer;
  /** Cost of new password hashes (default N=16384, r=8, p=1). */
  readonly scrypt?: ScryptParams;
  /** Runs inside the write's transaction after the rows are written; a throw rolls the write back. */
  readonly onWrite?: (tx: EntityManager, event: WriteEvent) => Promise<void>;
  /** Runs after every committed write. */
  readonly afterCommit?: (event: WriteEvent) => void | Promise<void>;
  /** An after-commit callback failed: the write stands (default: a process warning). */
  readonly onAfterCommitError?: (err: unknown, event: WriteEvent) => void;
  /** Bound parameters per insert statement before a batch is split (PostgreSQL allows 65535). */
  readonly maxParams?: number;
}

/** A pair of hooks added after construction (a workflow engine, an import), each optional. */
export interface WriteHook {
  /** Runs inside the write's transaction after the rows are written; a throw rolls the write back. */
  readonly onWrite?: (tx: EntityManager, event: WriteEvent) => Promise<void>;
  /** Runs after the write committed. */
  readonly afterCommit?: (event: WriteEvent) => void | Promise<void>;
  /**
   * True when `onWrite` would surely do nothing for a write of this type to this collection (checked
   * before the write, synchronously): such a write needs no transaction for this hook.
   */
  readonly idle?: (collection: string, type: WriteEvent['type'], triggerWorkflows: boolean) => boolean;
}

export interface WriteOptions {
  /**
   * Needed when `em` is already inside the caller's transaction: the after-commit work is handed to
   * it, to run after the caller's own commit. Without a transaction the repository runs it itself.
   */
  readonly deferAfterCommit?: (fn: () => Promise<void>) => void;
  /** Default true. False: write hooks still run, but see `triggerWorkflows: false` (imports without that option). */
  readonly triggerWorkflows?: boolean;
  /** The caller's user id: fills createdBy / updatedBy foreign keys, as NocoBase. */
  readonly userId?: number | string;
  /**
   * Nested writes: relations (paths, `author`, `comments.author`) whose existing records given as
   * objects get their other values written too (NocoBase's `updateAssociationValues`); by default they are only linked.
   */
  readonly updateAssociationValues?: readonly string[];
  /** The values come from server code (e.g. an ID it generated first), not a request body: server-managed fields are kept. */
  readonly internal?: boolean;
  /** The request's deadline (shared/sql): checked between password hashes and before the statement (504). */
  readonly deadline?: Deadline;
  /** Bounds of a request's write (DATA_MAX_RECORDS_PER_WRITE, DATA_MAX_PASSWORD_HASHES); more is a 400 before any work. */
  readonly limits?: WriteLimits;
}

export interface WriteLimits {
  readonly maxRecordsPerWrite: number;
  readonly maxPasswordHashes: number;
}

export interface GetOptions {
  /** Fields to return (default every readable field). Unknown names are a 400; passwords are never returned. */
  readonly fields?: readonly string[];
}

/**
 * The write path of records (create/update/destroy by primary key) and the read by primary key.
 * Each write is one transaction: the statement, then `onWrite` hooks; after commit, `afterCommit`.
 * Values are checked by the codec (400 naming the field), unknown body fields are a 400, and every
 * value is a bound parameter.
 */
export class RecordRepository {
  readonly #options: RecordRepositoryOptions;
  readonly #hooks: WriteHook[] = [];
  readonly #codec: CodecOptions;

  constructor(options: RecordRepositoryOptions) {
    assertAesKey(options.aesKey);
    this.#options = options;
    this.#codec = { ...(options.aesKey ? { aesKey: options.aesKey } : {}), ...(options.scrypt ? { scrypt: options.scrypt } : {}) };
  }

  /** A collection's metadata as this repository sees it (undefined when unknown). */
  collection(name: string): CollectionMeta | undefined {
    return this.#options.collections.get(name);
  }

  /** Adds hooks to every later write; returns a function that removes them. */
  addHook(hook: WriteHook): () => void {
    this.#hooks.push(hook);
    return () => {
      const at = this.#hooks.indexOf(hook);
      if (at >= 0) this.#hooks.splice(at, 1);
    };
  }

  /** `<collection>:create`: one record (returns it) or several in one statement (returns them in order). */
  create(em: EntityManager, collection: string, values: RecordValues, options?: WriteOptions): Promise<RecordValues>;
  create(em: EntityManager, collection: string, values: RecordValues[], options?: WriteOptions): Promise<RecordValues[]>;
  async create(em: EntityManager, collection: string, values: unknown, options: WriteOptions = {}): Promise<RecordValues | RecordValues[]> {
    const many = Array.isArray(values);
    const bodies: unknown[] = many ? values : [values];
    let meta = await this.#collection(em, collection);
    if (bodies.some((b) => typeof b === 'object' && b !== null && unknownKeys(meta, b as RecordValues).length > 0)) meta = await this.#refreshed(em, meta);
    const taken = bodies.map((b, i) => takeRelations(meta, options.internal ? assertBody(meta, b, many ? i : undefined) : withoutServerManaged(meta, assertBody(meta, b, many ? i : undefined))));
    if (taken.length === 0) return [];
    if (options.limits) assertWithinLimits(meta, taken.map((t) => t.body), options.limits);
    const relations = taken.map((t) => t.relations);
    const nested = relations.some((r) => r !== undefined);
    const encode = async (checked: readonly RecordValues[]) => {
      const ctx = { codec: this.#codec, ids: this.#options.ids, now: new Date().toISOString(), ...(options.userId !== undefined ? { userId: options.userId } : {}), nextSort: await this.#sortCounter(em, meta, checked) };
      const rows: Map<string, unknown>[] = [];
      for (const body of checked) {
        assertBeforeDeadline(options.deadline);
        rows.push(await encodeForInsert(meta, body, ctx));
      }
      const columns = [...meta.fields.values()].filter((f) => hasColumn(f) && rows.some((r) => r.has(f.name))).map((f) => f.name);
      return { rows, columns, chunk: Math.max(1, Math.floor((this.#options.maxParams ?? 60000) / columns.length)) };
    };
    const insert = async (tx: EntityManager, { rows, columns, chunk }: Awaited<ReturnType<typeof encode>>) => {
      const out: Record<string | symbol, unknown>[] = [];
      for (let i = 0; i < rows.length; i += chunk) {
        const part = rows.slice(i, i + chunk);
        const sql =
          `insert into ${qualified(meta.schema, meta.table)} (${columns.map(quoteIdent).join(', ')}) values ` +
          part.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ') +
          ' returning *';
        const params = part.flatMap((r) => columns.map((c) => (r.has(c) ? r.get(c) : null)));
        out.push(...(await runSql(tx, sql, params)).rows);
      }
      return out;
    };
    let records: RecordValues[];
    if (!nested) {
      const encoded = await encode(taken.map((t) => t.body));
      records = await this.#write(em, meta, 'create', options, encoded.rows.length <= encoded.chunk, (tx) => insert(tx, encoded));
    } else {
      // Nested writes: belongsTo targets first (their keys go into the rows), the rows, then the
      // relations pointing at the rows; the rows' own hooks run last, so they see everything linked.
      records = await this.#write(em, meta, 'create', options, false, async (tx, defer) => {
        const writes = this.#nested(tx, options, defer);
        const checked = taken.map((t) => t.body);
        const attached = await writes.belongsTo(meta, checked, relations);
        const rows = await insert(tx, await encode(checked));
        await writes.toTargets(meta, rows.map((r) => decodeRow(meta, r, this.#codec)), relations, false, attached);
        return withAttached(rows, attached);
      });
    }
    return many ? records : records[0]!;
  }

  /** Nested writes inside `tx`: the repository's own operations, their after-commit work deferred to the outer write. */
  #nested(tx: EntityManager, options: WriteOptions, defer: (fn: () => Promise<void>) => void): NestedWrites {
    const inner: WriteOptions = {
      ...(options.triggerWorkflows !== undefined ? { triggerWorkflows: options.triggerWorkflows } : {}),
      ...(options.userId !== undefined ? { userId: options.userId } : {}),
      ...(options.deadline ? { deadline: options.deadline } : {}),
      deferAfterCommit: defer,
    };
    const opts = (o: { updateAssociationValues?: readonly string[] }): WriteOptions => ({ ...inner, ...(o.updateAssociationValues?.length ? { updateAssociationValues: o.updateAssociationValues } : {}) });
    const writer: NestedWriter = {
      create: (t, collection, values, o) => this.create(t, collection, values, opts(o)),
      updateWhere: (t, collection, where, values, o) => this.updateWhere(t, collection, where, values, opts(o)),
      setEach: (t, collection, keyColumn, column, pairs, o) => this.setEach(t, collection, keyColumn, column, pairs, opts(o)),
      findWhere: (t, collection, where) => this.findWhere(t, collection, where),
    };
    return new NestedWrites(writer, (n) => this.#options.collections.get(n), tx, { ...(options.updateAssociationValues ? { updateAssociationValues: options.updateAssociationValues } : {}) });
  }

  /**
   * Sets `column` of the records whose `keyColumn` equals each pair's key to the pair's value, in one
   * statement (relinking hasMany targets of several records at once); answers the updated records.
   */
  async setEach(em: EntityManager, collection: string, keyColumn: string, column: string, pairs: ReadonlyArray<readonly [unknown, unknown]>, options: WriteOptions = {}): Promise<RecordValues[]> {
    const meta = await this.#collection(em, collection);
    const keyField = meta.fields.get(keyColumn);
    const field = meta.fields.get(column);
    if (!keyField || !field || !hasColumn(field)) throw cbError('CB_ERR_VALIDATION', `unknown field "${!keyField ? keyColumn : column}" in collection "${meta.name}"`);
    if (pairs.length === 0) return [];
    const values: unknown[] = [];
    for (const [, value] of pairs) values.push(await encodeForWrite(field, value, this.#codec));
    const common = await encodeForUpdate(meta, { [column]: values[0] }, { codec: this.#codec, ids: this.#options.ids, now: new Date().toISOString(), ...(options.userId !== undefined ? { userId: options.userId } : {}) });
    common.delete(column);
    const t = qualified(meta.schema, meta.table);
    const set = [`${quoteIdent(column)} = "cb_v"."v"`, ...[...common.keys()].map((c) => `${quoteIdent(c)} = ?`)];
    const sql =
      `update ${t} set ${set.join(', ')} from (select unnest(?::${columnType(keyField)}[]) as "k", unnest(?::${columnType(field)}[]) as "v") as "cb_v" ` +
      `where ${t}.${quoteIdent(keyColumn)} = "cb_v"."k" returning ${t}.*`;
    const params = [...common.values(), pairs.map(([k]) => String(k)), values.map((v) => (v === null ? null : String(v)))];
    return this.#write(em, meta, 'update', options, true, async (tx) => (await runSql(tx, sql, params)).rows, [column]);
  }

  /** The records `where` matches (a fragment with `?` placeholders), decoded; no passwords. */
  async findWhere(em: EntityManager, collection: string, where: SqlFragment): Promise<RecordValues[]> {
    const meta = await this.#collection(em, collection);
    const columns = [...meta.fields.values()].filter((f) => hasColumn(f) && isReadable(f)).map((f) => quoteIdent(f.name));
    const sql = `select ${columns.join(', ')} from ${qualified(meta.schema, meta.table)} where ${where.sql}`;
    try {
      return (await runSql(em, sql, where.params)).rows.map((row) => decodeRow(meta, row, this.#codec));
    } catch (err) {
      throw await this.#mapError(em, meta, err);
    }
  }

  /**
   * NocoBase's `sort` fields: a record created without one goes last (max + 1, counted on from there
   * within one batch). Read before the insert, so two concurrent creates may share a value, as in NocoBase.
   */
  async #sortCounter(em: EntityManager, meta: CollectionMeta, bodies: readonly RecordValues[]): Promise<((field: string) => number) | undefined> {
    const fields = [...meta.fields.values()].filter((f) => f.type === 'sort' && bodies.some((b) => b[f.name] === undefined || b[f.name] === null));
    if (fields.length === 0) return undefined;
    const next = new Map<string, number>();
    const row = (await runSql(em, `select ${fields.map((f, i) => `max(${quoteIdent(f.name)}) as m${i}`).join(', ')} from ${qualified(meta.schema, meta.table)}`)).rows[0] ?? {};
    fields.forEach((f, i) => next.set(f.name, Number(row[`m${i}`] ?? 0)));
    return (field) => {
      const value = (next.get(field) ?? 0) + 1;
      next.set(field, value);
      return value;
    };
  }

  /** `<collection>:update?filterByTk=`: the updated records (NocoBase answers an array; [] when missing). */
  async updateByPk(em: EntityManager, collection: string, pk: unknown, values: unknown, options: WriteOptions = {}): Promise<RecordValues[]> {
    let meta = await this.#collection(em, collection);
    if (typeof values === 'object' && values !== null && unknownKeys(meta, values as RecordValues).length > 0) meta = await this.#refreshed(em, meta);
    const { body, relations } = takeRelations(meta, withoutServerManaged(meta, assertBody(meta, values)));
    const key = primaryKeyParam(meta, pk);
    if (body[meta.primaryKey] !== undefined && primaryKeyParam(meta, body[meta.primaryKey]) !== key) {
      throw cbError('CB_ERR_VALIDATION', `field "${meta.primaryKey}" is the primary key and cannot be changed`);
    }
    const { [meta.primaryKey]: _pk, ...rest } = body;
    const where = { sql: `${quoteIdent(meta.primaryKey)} = ?`, params: [key] };
    if (relations) return this.#updateNested(em, meta, where, rest, relations, options, [...Object.keys(rest), ...relations.keys()]);
    const columns = await encodeForUpdate(meta, rest, this.#updateContext(options));
    if (columns.size === 0) {
      const row = await this.#select(em, meta, key, undefined);
      return row ? [decodeRow(meta, row, this.#codec)] : [];
    }
    return this.#update(em, meta, columns, where, options, Object.keys(rest));
  }

  #updateContext(options: WriteOptions) {
    return { codec: this.#codec, ids: this.#options.ids, now: new Date().toISOString(), ...(options.userId !== undefined ? { userId: options.userId } : {}) };
  }

  /**
   * `<collection>:update?filter=`: every record `where` matches (a fragment compiled by shared/query,
   * with `?` placeholders) gets `values`, in one statement; answers the updated records.
   */
  async updateWhere(em: EntityManager, collection: string, where: SqlFragment, values: unknown, options: WriteOptions = {}): Promise<RecordValues[]> {
    let meta = await this.#collection(em, collection);
    if (typeof values === 'object' && values !== null && unknownKeys(meta, values as RecordValues).length > 0) meta = await this.#refreshed(em, meta);
    const { body, relations } = takeRelations(meta, withoutServerManaged(meta, assertBody(meta, values)));
    if (body[meta.primaryKey] !== undefined) throw cbError('CB_ERR_VALIDATION', `field "${meta.primaryKey}" is the primary key and cannot be changed`);
    if (relations) return this.#updateNested(em, meta, where, body, relations, options, [...Object.keys(body), ...relations.keys()]);
    const columns = await encodeForUpdate(meta, body, this.#updateContext(options));
    if (columns.size === 0) throw cbError('CB_ERR_VALIDATION', 'values must name at least one field to update');
    return this.#update(em, meta, columns, where, options, Object.keys(body));
  }

  /**
   * An update with nested relation values, in one transaction: belongsTo objects first (one new
   * target for all the matched records), then the rows (read back when no column changes), then the
   * relations pointing at them with set semantics; the rows' hooks run last.
   */
  #updateNested(em: EntityManager, meta: CollectionMeta, where: SqlFragment, body: RecordValues, relations: RelationValues, options: WriteOptions, changed: readonly string[]): Promise<RecordValues[]> {
    return this.#write(
      em,
      meta,
      'update',
      options,
      false,
      async (tx, defer) => {
        const t = qualified(meta.schema, meta.table);
        // Nothing matched: nothing is created either (a belongsTo target would be written before the rows).
        if ((await runSql(tx, `select 1 from ${t} where ${where.sql} limit 1`, where.params)).rows.length === 0) return [];
        const writes = this.#nested(tx, options, defer);
        const bodies = [body];
        const attachedOne = await writes.belongsTo(meta, bodies, [relations]);
        const columns = await encodeForUpdate(meta, bodies[0]!, this.#updateContext(options));
        const rows =
          columns.size > 0
            ? (await runSql(tx, `update ${t} set ${[...columns.keys()].map((c) => `${quoteIdent(c)} = ?`).join(', ')} where ${where.sql} returning *`, [...columns.values(), ...where.params])).rows
            : (await runSql(tx, `select * from ${t} where ${where.sql}`, where.params)).rows;
        const attached: Attached = new Map();
        rows.forEach((_, i) => {
          const one = attachedOne.get(0);
          if (one) attached.set(i, new Map(one));
        });
        await writes.toTargets(meta, rows.map((r) => decodeRow(meta, r, this.#codec)), rows.map(() => relations), true, attached);
        return withAttached(rows, attached);
      },
      changed,
    );
  }

  /** `<collection>:destroy?filter=`: deletes every record `where` matches, in one statement; answers the count. */
  async destroyWhere(em: EntityManager, collection: string, where: SqlFragment, options: WriteOptions = {}): Promise<number> {
    const meta = await this.#collection(em, collection);
    const sql = `delete from ${qualified(meta.schema, meta.table)} where ${where.sql} returning *`;
    return (await this.#write(em, meta, 'destroy', options, true, async (tx) => (await runSql(tx, sql, where.params)).rows)).length;
  }

  #update(em: EntityManager, meta: CollectionMeta, columns: Map<string, unknown>, where: SqlFragment, options: WriteOptions, changed: readonly string[]): Promise<RecordValues[]> {
    const names = [...columns.keys()];
    const sql = `update ${qualified(meta.schema, meta.table)} set ${names.map((c) => `${quoteIdent(c)} = ?`).join(', ')} where ${where.sql} returning *`;
    return this.#write(em, meta, 'update', options, true, async (tx) => (await runSql(tx, sql, [...columns.values(), ...where.params])).rows, changed);
  }

  /** `<collection>:destroy?filterByTk=`: the number of records deleted (0 or 1). */
  async destroyByPk(em: EntityManager, collection: string, pk: unknown, options: WriteOptions = {}): Promise<number> {
    const meta = await this.#collection(em, collection);
    const key = primaryKeyParam(meta, pk);
    const sql = `delete from ${qualified(meta.schema, meta.table)} where ${quoteIdent(meta.primaryKey)} = ? returning *`;
    return (await this.#write(em, meta, 'destroy', options, true, async (tx) => (await runSql(tx, sql, [key])).rows)).length;
  }

  /** `<collection>:get?filterByTk=`: the record, or null. */
  async getByPk(em: EntityManager, collection: string, pk: unknown, options: GetOptions = {}): Promise<RecordValues | null> {
    let meta = await this.#collection(em, collection);
    if (options.fields?.some((f) => !meta.fields.has(f))) meta = await this.#refreshed(em, meta);
    let only: Set<string> | undefined;
    if (options.fields) {
      only = new Set();
      for (const name of options.fields) {
        const field = meta.fields.get(name);
        if (!field) throw cbError('CB_ERR_VALIDATION', `unknown field "${name}" in collection "${meta.name}"`);
        if (!hasColumn(field)) throw cbError('CB_ERR_VALIDATION', `field "${name}" is a relation; ask for it with appends`);
        if (isReadable(field)) only.add(name);
      }
    }
    const row = await this.#select(em, meta, primaryKeyParam(meta, pk), only);
    return row ? decodeRow(meta, row, this.#codec, only) : null;
  }

  async #select(em: EntityManager, meta: CollectionMeta, key: unknown, only: ReadonlySet<string> | undefined): Promise<Record<string, unknown> | undefined> {
    const columns = [...meta.fields.values()].filter((f) => hasColumn(f) && isReadable(f) && (!only || only.has(f.name))).map((f) => quoteIdent(f.name));
    const sql = `select ${columns.length > 0 ? columns.join(', ') : '1'} from ${qualified(meta.schema, meta.table)} where ${quoteIdent(meta.primaryKey)} = ?`;
    try {
      return (await runSql(em, sql, [key])).rows[0];
    } catch (err) {
      throw await this.#mapError(em, meta, err);
    }
  }

  async #collection(em: EntityManager, name: string): Promise<CollectionMeta> {
    const meta = this.#options.collections.get(name) ?? (await this.#options.collections.refresh?.(em, name));
    if (!meta) throw cbError('CB_ERR_DATA_NOT_FOUND', `collection "${name}" does not exist`);
    return meta;
  }

  /** This node's cache may lag a field added through another node: re-read once before refusing. */
  async #refreshed(em: EntityManager, meta: CollectionMeta): Promise<CollectionMeta> {
    return (await this.#options.collections.refresh?.(em, meta.name)) ?? meta;
  }

  async #write(
    em: EntityManager,
    meta: CollectionMeta,
    type: WriteEvent['type'],
    options: WriteOptions,
    /** The statement is one SQL statement: atomic on its own, no transaction needed without hooks. */
    single: boolean,
    /** `defer` takes after-commit work of nested writes (run with this write's own). Rows may carry relation values under ATTACHED. */
    statement: (tx: EntityManager, defer: (fn: () => Promise<void>) => void) => Promise<Record<string | symbol, unknown>[]>,
    changed: readonly string[] = [],
  ): Promise<RecordValues[]> {
    if (em.isInTransaction() && !options.deferAfterCommit) {
      throw new Error('RecordRepository: em is inside a transaction; pass deferAfterCommit so after-commit work runs after that transaction commits');
    }
    const pending: (() => void | Promise<void>)[] = [];
    let event: WriteEvent | undefined;
    let records: RecordValues[];
    try {
      // A hook idle for this write is left out of it (as if the write had happened just before whatever
      // would make the hook act), so that a write without active hooks needs no transaction.
      const triggerWorkflows = options.triggerWorkflows !== false;
      const active = this.#hooks.filter((h) => h.onWrite && !h.idle?.(meta.name, type, triggerWorkflows));
      const run = async (tx: EntityManager) => {
        assertBeforeDeadline(options.deadline);
        const rows = await statement(tx, (fn) => void pending.push(fn));
        const decoded = rows.map((row) => {
          const record = decodeRow(meta, row, this.#codec);
          const extra = row[ATTACHED] as Map<string, unknown> | undefined;
          if (extra) for (const [name, value] of extra) record[name] = value;
          return record;
        });
        if (decoded.length > 0) {
          event = { type, collection: meta, records: decoded, triggerWorkflows: options.triggerWorkflows !== false, changed, afterCommit: (fn) => void pending.push(fn) };
          await this.#options.onWrite?.(tx, event);
          for (const hook of active) await hook.onWrite?.(tx, event);
        }
        return decoded;
      };
      // One statement and no in-transaction hook: PostgreSQL makes it atomic by itself, and the
      // BEGIN/COMMIT round trips are saved (the hot path of :create/:update/:destroy).
      const inTransactionHooks = !!this.#options.onWrite || active.length > 0;
      records =
        // A request deadline needs the transaction: its statement timeout is SET LOCAL, so a write blocked
        // past the gateway's timeout is stopped by PostgreSQL instead of committing after the 504.
        single && !inTransactionHooks && !options.deadline
          ? await run(em)
          : await em.transactional(async (tx) => {
              // Our own transaction (not the caller's): PostgreSQL stops it at the deadline, and a write
              // whose hooks ran past it rolls back rather than commit after the client got its 504.
              if (!options.deferAfterCommit) await limitTransaction(tx, options.deadline);
              const out = await run(tx);
              assertBeforeDeadline(options.deadline);
              return out;
            });
    } catch (err) {
      throw await this.#mapError(em, meta, err);
    }
    if (event) {
      const e = event;
      const after = async () => {
        const afterHooks = [this.#options.afterCommit, ...this.#hooks.map((h) => h.afterCommit)].filter((fn) => fn !== undefined);
        for (const fn of [...pending, ...afterHooks.map((hook) => () => hook(e))]) {
          try {
            await fn();
          } catch (err) {
            (this.#options.onAfterCommitError ?? defaultAfterCommitError)(err, e);
          }
        }
      };
      if (options.deferAfterCommit) options.deferAfterCommit(after);
      else await after();
    }
    return records;
  }

  /** PostgreSQL errors a request can cause, as API errors naming the field. */
  async #mapError(em: EntityManager, meta: CollectionMeta, err: unknown): Promise<unknown> {
    if (isDeadlineError(err)) return deadlineError();
    if (!isPgError(err)) return err;
    const e: PgError = err;
    const columns = /Key \((.+?)\)=/.exec(e.detail ?? '')?.[1]?.replace(/"/g, '');
    switch (e.code) {
      case '23505':
        return cbError('CB_ERR_DATA_CONFLICT', `a record of "${meta.name}" with this ${columns ? `"${columns}"` : 'value'} already exists`);
      case '23502':
        return cbError('CB_ERR_VALIDATION', `field "${e.column}" cannot be null`);
      case '23503': {
        // A delete refused by a relation's onDelete RESTRICT / NO ACTION.
        const referencing = /is still referenced from table "(.+?)"/.exec(e.detail ?? '')?.[1];
        if (referencing) return cbError('CB_ERR_DATA_CONFLICT', `a record of "${meta.name}" is still referenced by records of "${referencing}" (onDelete: restrict)`);
        return cbError('CB_ERR_VALIDATION', `${columns ? `field "${columns}"` : 'a foreign key'}: no such record in the target collection`);
      }
      case '22001':
      case '22003':
      case '22P02':
      case '22007':
      case '22008':
      case '22021':
      case '54011':
        return cbError('CB_ERR_VALIDATION', e.message);
      case '42P01':
      case '42703':
        // The table or a column is gone: this node's metadata is stale. Re-read it for the next call.
        await this.#options.collections.refresh?.(em, meta.name).catch(() => undefined);
        return e.code === '42P01'
          ? cbError('CB_ERR_DATA_NOT_FOUND', `collection "${meta.name}" does not exist`)
          : cbError('CB_ERR_VALIDATION', `the fields of collection "${meta.name}" changed; retry the request`);
      default:
        return err;
    }
  }
}

/** Where a row returned by a nested write's statement carries the related records to answer with. */
const ATTACHED = Symbol('attached relations');

function withAttached(rows: Record<string, unknown>[], attached: Attached): Record<string | symbol, unknown>[] {
  return rows.map((row, i) => (attached.has(i) ? { ...row, [ATTACHED]: attached.get(i) } : row));
}

/** A write of more records, or more passwords to hash, than the limits allow is refused before any work. */
function assertWithinLimits(meta: CollectionMeta, bodies: readonly RecordValues[], limits: WriteLimits): void {
  if (bodies.length > limits.maxRecordsPerWrite) {
    throw cbError('CB_ERR_VALIDATION', `a write may carry at most ${limits.maxRecordsPerWrite} records (DATA_MAX_RECORDS_PER_WRITE); this one has ${bodies.length}`);
  }
  const passwords = [...meta.fields.values()].filter((f) => f.type === 'password').map((f) => f.name);
  let count = 0;
  for (const body of bodies) for (const name of passwords) if (body[name] !== undefined && body[name] !== null) count++;
  if (count > limits.maxPasswordHashes) {
    throw cbError('CB_ERR_VALIDATION', `a write may set at most ${limits.maxPasswordHashes} passwords (DATA_MAX_PASSWORD_HASHES); this one sets ${count}`);
  }
}

function defaultAfterCommitError(err: unknown, event: WriteEvent): void {
  process.emitWarning(`after-commit hook of a ${event.type} on "${event.collection.name}" failed: ${err instanceof Error ? err.message : String(err)}`);
}
