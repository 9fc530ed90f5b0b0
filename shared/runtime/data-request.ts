import type { Context } from 'moleculer';
import { resolvePermission, type Permission } from '../acl/index.js';
import { can, forbiddenError, SYSTEM_RULES } from '../auth/index.js';
import type { Caller } from '../users/index.js';
import { appAcl, requestCaller } from './app-acl.js';
import { findByFilterKeys } from '../data-api/index.js';
import { cbError } from '../errors/index.js';
import type { RestMeta } from '../gateway/index.js';
import { compileFilter } from '../query/index.js';
import { appData } from './app-data.js';
import { nodeState } from './node-state.js';

/** What the data service's REST actions share: the caller's check, and reading keys and filters. */

export type Params = Record<string, unknown> & { resourceName?: string; filterByTk?: string; associatedIndex?: string; values?: unknown };
export type Ctx = Context<Params, Partial<RestMeta>>;
export type Log = { info(m: string): void; warn(m: string): void; error(m: string): void };

/**
 * Signs the caller in from the bearer token and checks its current roles may run `action` on
 * `collection` (shared/acl: strategies and configured collections; the system resources' fixed
 * rules). The permission's scope and fields are applied by the record paths (issue 18's wrapper).
 */
export async function authorize(ctx: Ctx, log: Log, collection: string, action: string) {
  const state = nodeState(ctx.broker);
  const app = ctx.meta.app ?? 'main';
  const { caller } = await requestCaller(ctx, log);
  await permissionOf(state, app, caller, collection, action);
  return appData(state, app, log);
}

const ALLOW_ALL: Permission = { allowed: true, filter: null, fields: null };

/** What `caller` may do with `action` on `collection`; 403 when nothing allows it. */
export async function permissionOf(state: ReturnType<typeof nodeState>, app: string, caller: Caller, collection: string, action: string): Promise<Permission> {
  const roles = caller.current;
  if (roles.includes('root') || roles.includes('admin') || collection in SYSTEM_RULES) {
    if (!can(roles, collection, action)) throw forbiddenError();
    return ALLOW_ALL;
  }
  const permission = resolvePermission(await (await appAcl(state, app)).roles(roles), collection, action, { id: caller.id });
  if (!permission.allowed) throw forbiddenError();
  return permission;
}

/**
 * `?filter=` in place of `filterByTk` (update and destroy, as NocoBase): the compiled WHERE, or null
 * when filterByTk is given. An empty filter is refused: it would touch every record.
 */
export function filterInstead(ctx: Ctx, data: Awaited<ReturnType<typeof appData>>, name: string) {
  if (ctx.params.filterByTk !== undefined && ctx.params.filterByTk !== '') return null;
  const where = compileFilter(ctx.params.filter, data.collections.require(name), (n) => data.collections.get(n));
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

