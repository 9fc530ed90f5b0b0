import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type WriteOptions } from '../data/index.js';
import { cbError } from '../errors/index.js';
import { assertBeforeDeadline, limitTransaction, qualified, runSql, type Deadline } from '../sql/index.js';

export interface IdempotencyOptions {
  /** The app's schema (holds `cb_idempotency_keys`, migration 0007). */
  readonly schema: string;
  /** The `Idempotency-Key` header; undefined: the write runs as is, nothing is remembered. */
  readonly key: string | undefined;
  /** Who asks (a user id, or '' for anonymous callers): keys are scoped per caller. */
  readonly principal: string;
  /** Everything that makes two requests "the same" (app, action, resource, params); hashed. */
  readonly request: unknown;
  /** How long the key and its answer are kept (IDEMPOTENCY_KEY_TTL). */
  readonly ttlMs: number;
  /**
   * The request's deadline: the key's transaction is bounded by it (statement and idle-in-transaction
   * timeouts) and rolls back rather than commit past it, so a 504 always means "not written".
   */
  readonly deadline?: Deadline;
}

/**
 * What the write runs with: the EntityManager to use for everything it reads and writes (the
 * transaction holding the key row when a key is given) and the options to hand to RecordRepository.
 */
export type IdempotentWriteFn<T> = (em: EntityManager, options: WriteOptions) => Promise<T>;

const MAX_KEY_LENGTH = 255;
const TABLE = 'cb_idempotency_keys';
const lastSweep = new Map<string, number>();

/**
 * Runs a write at most once per (principal, Idempotency-Key) within the key's retention.
 *
 * Contract:
 * - the key row is inserted first, in the same transaction as the write and its answer, so the write,
 *   the key and the answer commit or roll back together (a failed write leaves no key behind: a retry
 *   runs it again);
 * - a concurrent duplicate blocks on the row's primary key until the first commits, then reads its
 *   answer (or, if the first rolled back, does the write itself): never two writes;
 * - a retry of the same request gets the stored answer (the first answer's JSON, byte for byte);
 * - the same key with a different request is a 422 CB_ERR_DATA_IDEMPOTENCY_MISMATCH naming the key;
 * - a row past its expiry counts as absent; expired rows are swept now and then by later writes.
 *
 * `write` gets the transaction's EntityManager and must use it for its reads too (firstOrCreate's
 * lookup), so they see the same snapshot; without a key it gets `outer` itself.
 */
export async function idempotentWrite<T>(outer: EntityManager, options: IdempotencyOptions, write: IdempotentWriteFn<T>): Promise<T> {
  const deadline = options.deadline;
  // Without a key the repository bounds its own transaction by the deadline.
  if (options.key === undefined) return write(outer, deadline === undefined ? {} : { deadline });
  const key = options.key;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw cbError('CB_ERR_VALIDATION', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`);
  }
  const table = qualified(options.schema, TABLE);
  const hash = requestHash(options.principal, options.request);
  const afterCommit: (() => Promise<void>)[] = [];

  const result = await outer.transactional(async (tx) => {
    await limitTransaction(tx, deadline);
    // Insert, or take over a row whose retention has passed. A live row (ours or a concurrent
    // duplicate's, once it commits) makes this return nothing.
    const claimed = await runSql(
      tx,
      `insert into ${table} ("principal", "key", "request_hash", "expires_at") values (?, ?, ?, now() + make_interval(secs => ?))
       on conflict ("principal", "key") do update set "request_hash" = excluded."request_hash", "response" = null,
         "created_at" = now(), "expires_at" = excluded."expires_at"
       where ${table}."expires_at" <= now()
       returning "key"`,
      [options.principal, key, hash, options.ttlMs / 1000],
    );
    if (claimed.rows.length === 0) {
      const { rows } = await runSql<{ request_hash: string; response: string | null }>(
        tx,
        `select "request_hash", "response" from ${table} where "principal" = ? and "key" = ?`,
        [options.principal, key],
      );
      const row = rows[0];
      if (!row || row.request_hash !== hash) {
        throw cbError('CB_ERR_DATA_IDEMPOTENCY_MISMATCH', `Idempotency-Key "${key}" was already used for a different request`);
      }
      return { replayed: true as const, value: JSON.parse(row.response ?? 'null') as T };
    }
    const value = await write(tx, { deferAfterCommit: (fn) => void afterCommit.push(fn), ...(deadline !== undefined ? { deadline } : {}) });
    await runSql(tx, `update ${table} set "response" = ? where "principal" = ? and "key" = ?`, [JSON.stringify(value ?? null), options.principal, key]);
    assertBeforeDeadline(deadline);
    return { replayed: false as const, value };
  });

  if (!result.replayed) {
    for (const fn of afterCommit) await fn();
    sweepNowAndThen(outer, options);
  }
  return result.value;
}

/**
 * The caller's user id from a bearer token (`Authorization: Bearer <jwt>`), '' without one. It reads the
 * JWT's subject without checking the signature: call it only after the token was verified (authorize).
 */
export function tokenSubject(authorization: string | undefined): string {
  const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return '';
  try {
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    return typeof sub === 'string' || typeof sub === 'number' ? String(sub) : '';
  } catch {
    return '';
  }
}

/** SHA-256 of the caller and the request in a canonical JSON form (object keys sorted). */
export function requestHash(principal: string, request: unknown): string {
  return createHash('sha256').update(canonicalJson([principal, request])).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(typeof value === 'bigint' ? value.toString() : value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * Deletes expired keys of a schema at most once per min(retention, 1 minute) per node, after a write
 * committed; a failure only delays the sweep (expired rows are ignored by the claim anyway).
 */
function sweepNowAndThen(em: EntityManager, options: IdempotencyOptions): void {
  const now = Date.now();
  if (now - (lastSweep.get(options.schema) ?? 0) < Math.min(options.ttlMs, 60_000)) return;
  lastSweep.set(options.schema, now);
  void sweepExpiredKeys(em.fork(), options.schema).catch(() => lastSweep.delete(options.schema));
}

/** Deletes the keys (and answers) whose retention has passed; returns how many. */
export async function sweepExpiredKeys(em: EntityManager, schema: string): Promise<number> {
  return (await runSql(em, `delete from ${qualified(schema, TABLE)} where "expires_at" <= now()`)).affected;
}
