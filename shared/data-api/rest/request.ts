import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../auth/index.js';
import type { WriteOptions } from '../../data/index.js';
import { cbError } from '../../errors/index.js';
import { compileFilter } from '../../query/index.js';
import { findByFilterKeys } from '../find-by-filter-keys.js';
import { singleKeyOnly, targetFilter } from '../target-filter.js';
import { idempotentWrite } from '../idempotent-write.js';
import type { DataApp, DataParams } from './types.js';

/** What the data actions share: reading keys and filters, and applying a write once per Idempotency-Key. */

/**
 * `?filter=` in place of `filterByTk` (update and destroy, as NocoBase): the compiled WHERE, or null
 * when filterByTk is given. An empty filter is refused: it would touch every record.
 */
export function filterInstead(app: DataApp, params: DataParams, name: string, timezone?: string) {
  // One key alone takes the by-key path; several keys or a key with a filter are ANDed (as NocoBase).
  if (singleKeyOnly(params.filterByTk, params.filter)) return null;
  const meta = app.data.collections.require(name);
  const where = compileFilter(targetFilter(meta, params.filterByTk, params.filter), meta, (n) => app.data.collections.get(n), { timezone });
  if (where.sql.trim().toUpperCase() === 'TRUE') throw cbError('CB_ERR_VALIDATION', 'filterByTk or a non-empty filter is required');
  return where;
}

export function recordKey(params: DataParams): string {
  if (params.filterByTk === undefined || params.filterByTk === '') throw cbError('CB_ERR_VALIDATION', 'filterByTk is required');
  return String(params.filterByTk);
}

export function collectionName(params: DataParams): string {
  return String(params.resourceName);
}

export async function byFilterKeys(app: DataApp, em: EntityManager, params: DataParams, name: string) {
  const meta = app.data.collections.require(name);
  const lookup = (n: string) => app.data.collections.get(n);
  return { meta, ...(await findByFilterKeys(em, meta, lookup, params.values, params.filterKeys, app.aesKey)) };
}

/**
 * A record write applied once per `Idempotency-Key` (idempotent-write.ts), keyed per caller. `write`
 * gets the EntityManager to use for everything it reads and writes (the key's transaction).
 */
export function once<T>(app: DataApp, caller: Caller, em: EntityManager, params: DataParams, write: (tx: EntityManager, options: WriteOptions) => Promise<T>): Promise<T> {
  const { resourceName, $upload: _upload, ...rest } = params;
  const request = { app: app.name, action: caller.request.action, resource: resourceName, params: rest };
  const deadline = caller.request.deadline;
  const options = { schema: app.schema, key: caller.request.idempotencyKey, principal: caller.principal, request, ttlMs: app.config.idempotencyTtlMs, ...(deadline !== undefined ? { deadline } : {}) };
  const userId = caller.user?.id;
  // The caller fills createdBy / updatedBy of the records it writes; its request's bounds apply.
  return idempotentWrite(em, options, (tx, opts) => write(tx, { ...opts, limits: app.config.data, ...(userId !== undefined && userId !== null ? { userId: userId as number | string } : {}) }));
}

/**
 * Runs several repository writes as one transaction: in `em`'s when it has one (an idempotent write's,
 * whose `deferAfterCommit` it keeps), else in a new one whose after-commit work runs once it commits.
 */
export async function inOneTransaction<T>(em: EntityManager, options: WriteOptions, write: (tx: EntityManager, options: WriteOptions) => Promise<T>): Promise<T> {
  if (em.isInTransaction() && options.deferAfterCommit) return write(em, options);
  const after: (() => Promise<void>)[] = [];
  const result = await em.transactional((tx) => write(tx, { ...options, deferAfterCommit: (fn) => void after.push(fn) }));
  for (const fn of after) await fn();
  return result;
}
