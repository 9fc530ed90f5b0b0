import type { Context } from 'moleculer';
import { PermissionTable } from '../acl/index.js';
import { bearerToken, forbiddenError, type CheckResult } from '../auth/index.js';
import type { RestMeta } from '../gateway/index.js';
import type { Caller } from '../users/index.js';
import { appAuth } from './app-auth.js';
import { nodeState, type NodeState } from './node-state.js';

type Log = { info(m: string): void; warn(m: string): void; error(m: string): void };

const tables = new WeakMap<NodeState, Map<string, Promise<PermissionTable>>>();

/** One app's permission table on this node, listening for changes made on any node. */
export function appAcl(state: NodeState, app: string): Promise<PermissionTable> {
  let byApp = tables.get(state);
  if (!byApp) tables.set(state, (byApp = new Map()));
  let table = byApp.get(app);
  if (!table) {
    const database = state.databaseOf(app);
    if (!database) return Promise.reject(new Error('the node is not started'));
    const schema = state.schemaOf(app);
    const { cluster } = state.services();
    const cache = cluster.cache.forApp(app);
    const version = { get: () => cache.get<string>('acl:version'), set: (stamp: string) => cache.set('acl:version', stamp) };
    const created = new PermissionTable({ schema, fork: () => database.fork(schema), signal: cluster.sync.forApp(app), version });
    table = created.open().then(() => created);
    table.catch(() => byApp!.delete(app));
    byApp.set(app, table);
  }
  return table;
}

/** Forgets an app's permission table on this node (app stopped or removed). */
export function forgetAppAcl(state: NodeState, app: string): void {
  const table = tables.get(state)?.get(app);
  tables.get(state)?.delete(app);
  void table?.then((t) => t.close()).catch(() => undefined);
}

/**
 * The signed-in caller of a request: its user, every role it has, and the roles it acts with —
 * `X-Role: <name>` (one of its roles, else 403), `X-Role: __union__` or none (all of them).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any action's params
export async function requestCaller(ctx: Context<any, Partial<RestMeta>>, log: Log): Promise<{ caller: Caller; check: CheckResult }> {
  const state = nodeState(ctx.broker);
  const auth = await appAuth(state, ctx.meta.app ?? 'main', log);
  const check = await auth.check(ctx.locals.em, bearerToken(ctx.meta.authorization));
  const role = ctx.meta.role ?? null;
  const roles = check.roles;
  let current: readonly string[] = roles;
  if (role && role !== '__union__') {
    if (!roles.includes(role)) throw forbiddenError();
    current = [role];
  }
  return { caller: { id: check.user.id, roles, current, role }, check };
}
