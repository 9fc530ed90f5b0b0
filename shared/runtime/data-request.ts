import type { Context } from 'moleculer';
import { assertCan, bearerToken } from '../auth/index.js';
import { findByFilterKeys, singleKeyOnly, targetFilter } from '../data-api/index.js';
import { cbError } from '../errors/index.js';
import type { RestMeta } from '../gateway/index.js';
import { compileFilter } from '../query/index.js';
import { appAuth } from './app-auth.js';
import { appData } from './app-data.js';
import { nodeState } from './node-state.js';

/** What the data service's REST actions share: the caller's check, and reading keys and filters. */

export type Params = Record<string, unknown> & { resourceName?: string; filterByTk?: string | string[]; associatedIndex?: string; values?: unknown };
export type Ctx = Context<Params, Partial<RestMeta>>;
export type Log = { info(m: string): void; warn(m: string): void; error(m: string): void };

/** Signs the caller in from the bearer token and checks the role may run `action` on `collection`. */
export async function authorize(ctx: Ctx, log: Log, collection: string, action: string) {
  const state = nodeState(ctx.broker);
  const app = ctx.meta.app ?? 'main';
  const auth = await appAuth(state, app, log);
  const { roles, user } = await auth.check(ctx.locals.em, bearerToken(ctx.meta.authorization));
  assertCan(roles, collection, action);
  // The caller fills createdBy / updatedBy of records it writes.
  (ctx.locals as { userId?: number | string }).userId = (user as { id?: number | string }).id;
  return appData(state, app, log);
}

/**
 * `?filter=` in place of `filterByTk` (update and destroy, as NocoBase): the compiled WHERE, or null
 * when filterByTk is given. An empty filter is refused: it would touch every record.
 */
export function filterInstead(ctx: Ctx, data: Awaited<ReturnType<typeof appData>>, name: string) {
  // One key alone takes the by-key path; several keys or a key with a filter are ANDed (as NocoBase).
  if (singleKeyOnly(ctx.params.filterByTk, ctx.params.filter)) return null;
  const meta = data.collections.require(name);
  const where = compileFilter(targetFilter(meta, ctx.params.filterByTk, ctx.params.filter), meta, (n) => data.collections.get(n), { timezone: ctx.meta.timezone });
  if (where.sql.trim().toUpperCase() === 'TRUE') throw cbError('CB_ERR_VALIDATION', 'filterByTk or a non-empty filter is required');
  return where;
}

export function recordKey(ctx: Ctx): string {
  if (ctx.params.filterByTk === undefined || ctx.params.filterByTk === '') throw cbError('CB_ERR_VALIDATION', 'filterByTk is required');
  return String(ctx.params.filterByTk);
}

export async function byFilterKeys(ctx: Ctx, data: Awaited<ReturnType<typeof appData>>, name: string) {
  const meta = data.collections.require(name);
  const lookup = (n: string) => data.collections.get(n);
  return { meta, ...(await findByFilterKeys(ctx.locals.em, meta, lookup, ctx.params.values, ctx.params.filterKeys, nodeState(ctx.broker).services().secrets.aesKey)) };
}

