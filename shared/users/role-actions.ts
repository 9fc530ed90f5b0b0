import { ACTION_ALIAS, AVAILABLE_ACTIONS, mergedRoleJson } from '../acl/index.js';
import { forbiddenError } from '../auth/index.js';
import { cbError } from '../errors/index.js';
import type { Caller, Em, Params, UsersApp } from './types.js';
import { readSettings } from './system-settings.js';
import { exec, pageOf, ROLE_COLUMNS, table } from './users-sql.js';

const ROLE_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const ROLE_FIELDS = ['title', 'description', 'strategy', 'default', 'hidden', 'allowConfigure', 'allowNewMenu', 'snippets', 'sort'] as const;
const JSON_FIELDS = new Set(['strategy', 'snippets']);

/** Role and permission changes are root's and admin's (NocoBase: the ACL's pm.acl.roles snippet). */
function assertManager(caller: Caller): void {
  if (!caller.current.includes('root') && !caller.current.includes('admin')) throw forbiddenError();
}

function obj(v: unknown, what = 'values'): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw cbError('CB_ERR_VALIDATION', `${what} must be an object`);
  return v as Record<string, unknown>;
}

function roleName(x: unknown): string {
  if (typeof x !== 'string' || !ROLE_NAME.test(x)) throw cbError('CB_ERR_VALIDATION', 'A role name is 1-255 letters, digits, "_" or "-"');
  return x;
}

function strategyOf(x: unknown): unknown {
  if (x === null) return null;
  const actions = (x as { actions?: unknown })?.actions;
  if (!Array.isArray(actions) || !actions.every((a) => typeof a === 'string' && AVAILABLE_ACTIONS.includes(a.split(':')[0] as never))) {
    throw cbError('CB_ERR_VALIDATION', `strategy must be {actions: [...]} with actions among ${AVAILABLE_ACTIONS.join(', ')} (optionally ":own")`);
  }
  return { actions };
}

function roleColumns(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of ROLE_FIELDS) if (f in v) out[f] = f === 'strategy' ? strategyOf(v[f]) : v[f];
  return out;
}

async function getRole(em: Em, app: UsersApp, name: unknown): Promise<Record<string, unknown>> {
  const rows = (await exec(em, `select ${ROLE_COLUMNS} from ${table(app.schema, 'roles')} where "name" = ?`, [String(name ?? '')])) as Array<Record<string, unknown>>;
  if (!rows[0]) throw cbError('CB_ERR_HTTP_NOT_FOUND', `Role "${String(name).slice(0, 64)}" not found`);
  return rows[0];
}

const param = (c: Record<string, unknown>, name: string) => (JSON_FIELDS.has(name) ? JSON.stringify(c[name]) : c[name]);

export async function listRoles(app: UsersApp, caller: Caller, em: Em, params: Params) {
  assertManager(caller);
  const { page, pageSize } = pageOf(params);
  const roles = table(app.schema, 'roles');
  const [{ count }] = (await exec(em, `select count(*)::int as "count" from ${roles}`)) as [{ count: number }];
  const rows = await exec(em, `select ${ROLE_COLUMNS} from ${roles} order by "sort" nulls last, "name" limit ? offset ?`, [pageSize, (page - 1) * pageSize]);
  return { data: rows, meta: { count, page, pageSize, totalPage: Math.ceil(count / pageSize) } };
}

export async function getRoleAction(app: UsersApp, caller: Caller, em: Em, params: Params) {
  assertManager(caller);
  return { data: await getRole(em, app, params.filterByTk) };
}

export async function createRole(app: UsersApp, caller: Caller, em: Em, params: Params) {
  assertManager(caller);
  const v = obj(params.values);
  const name = roleName(v.name);
  const c = roleColumns(v);
  const cols = Object.keys(c);
  const rows = (await exec(em, 
    `insert into ${table(app.schema, 'roles')} ("name"${cols.map((n) => `, "${n}"`).join('')}) values (?${cols.map((n) => (JSON_FIELDS.has(n) ? ', ?::jsonb' : ', ?')).join('')}) on conflict ("name") do nothing returning "name"`,
    [name, ...cols.map((n) => param(c, n))],
  )) as unknown[];
  if (rows.length === 0) throw cbError('CB_ERR_VALIDATION', `A role named "${name}" already exists`);
  if (c.default === true) await exec(em, `update ${table(app.schema, 'roles')} set "default" = false where "name" <> ?`, [name]);
  await app.acl.changed();
  return { data: await getRole(em, app, name) };
}

export async function updateRole(app: UsersApp, caller: Caller, em: Em, params: Params) {
  assertManager(caller);
  const name = String((await getRole(em, app, params.filterByTk)).name);
  if (name === 'root') throw forbiddenError();
  const c = roleColumns(obj(params.values));
  const cols = Object.keys(c);
  if (cols.length > 0) {
    await exec(em, 
      `update ${table(app.schema, 'roles')} set ${cols.map((n) => `"${n}" = ?${JSON_FIELDS.has(n) ? '::jsonb' : ''}`).join(', ')}, "updatedAt" = now() where "name" = ?`,
      [...cols.map((n) => param(c, n)), name],
    );
    if (c.default === true) await exec(em, `update ${table(app.schema, 'roles')} set "default" = false where "name" <> ?`, [name]);
  }
  await app.acl.changed();
  return { data: await getRole(em, app, name) };
}

/** roles:destroy — never root; the role is taken off every user that had it. */
export async function destroyRole(app: UsersApp, caller: Caller, em: Em, params: Params) {
  assertManager(caller);
  const name = String((await getRole(em, app, params.filterByTk)).name);
  if (name === 'root') throw forbiddenError();
  await em.transactional(async (tx) => {
    await tx.execute(`update ${table(app.schema, 'users')} set "roles" = array_remove("roles", ?) where ? = any("roles")`, [name, name]);
    await tx.execute(`delete from ${table(app.schema, 'roles')} where "name" = ?`, [name]);
  });
  await app.acl.changed();
  return { data: 1 };
}

/** roles:check — the current role(s) merged, shaped as NocoBase's client reads it. */
export async function checkRole(app: UsersApp, caller: Caller, em: Em) {
  const roles = await app.acl.roles(caller.current);
  const merged = mergedRoleJson(roles);
  return {
    data: {
      ...merged,
      role: caller.role ?? caller.current[0] ?? null,
      roleMode: (await readSettings(em, app.schema)).roleMode,
      availableActions: [...AVAILABLE_ACTIONS],
      actionAlias: ACTION_ALIAS,
      allowAll: caller.current.includes('root'),
      allowConfigure: caller.current.includes('root') || roles.some((r) => r.allowConfigure),
      allowMenuItemIds: [],
      allowAnonymous: ((await exec(em, `select 1 from ${table(app.schema, 'roles')} where "name" = 'anonymous'`)) as unknown[]).length > 0,
      uiButtonSchemasBlacklist: [],
    },
  };
}

/** dataSources/main/roles:get|update — a role's strategy on a data source (only `main` here). */
export async function dataSourceRole(app: UsersApp, caller: Caller, em: Em, params: Params, action: 'get' | 'update') {
  assertManager(caller);
  if ((params.associatedIndex ?? 'main') !== 'main') throw cbError('CB_ERR_HTTP_NOT_FOUND', `Data source "${String(params.associatedIndex).slice(0, 64)}" not found`);
  const role = await getRole(em, app, params.filterByTk);
  const name = String(role.name);
  if (action === 'update') {
    if (name === 'root') throw forbiddenError();
    const v = obj(params.values);
    await em.transactional(async (tx) => {
      if ('strategy' in v) await tx.execute(`update ${table(app.schema, 'roles')} set "strategy" = ?::jsonb, "updatedAt" = now() where "name" = ?`, [JSON.stringify(strategyOf(v.strategy)), name]);
      if (Array.isArray(v.resources)) {
        await tx.execute(`delete from ${table(app.schema, 'dataSourcesRolesResources')} where "roleName" = ? and "dataSourceKey" = 'main'`, [name]);
        for (const r of v.resources) await writeResource(app, tx, name, obj(r, 'resources[]'));
      }
    });
    await app.acl.changed();
  }
  const strategy = action === 'update' ? (await getRole(em, app, name)).strategy : role.strategy;
  return { data: { roleName: name, dataSourceKey: 'main', strategy } };
}

/** Writes one configured collection with its actions (replacing any previous configuration). */
async function writeResource(app: UsersApp, em: Em, role: string, v: Record<string, unknown>): Promise<void> {
  const name = v.name;
  if (typeof name !== 'string' || name === '') throw cbError('CB_ERR_VALIDATION', 'A resource needs the collection name');
  if ((v.dataSourceKey ?? 'main') !== 'main') throw cbError('CB_ERR_VALIDATION', 'Only the "main" data source exists');
  const t = (n: string) => table(app.schema, n);
  await exec(em, `delete from ${t('dataSourcesRolesResources')} where "roleName" = ? and "dataSourceKey" = 'main' and "name" = ?`, [role, name]);
  const id = String(app.ids.next());
  await exec(em, `insert into ${t('dataSourcesRolesResources')} ("id", "roleName", "dataSourceKey", "name", "usingActionsConfig") values (?, ?, 'main', ?, ?)`, [
    id, role, name, v.usingActionsConfig !== false,
  ]);
  const actions = v.actions === undefined ? [] : v.actions;
  if (!Array.isArray(actions)) throw cbError('CB_ERR_VALIDATION', 'actions must be a list');
  for (const a of actions.map((x) => obj(x, 'actions[]'))) {
    if (typeof a.name !== 'string' || !AVAILABLE_ACTIONS.includes(a.name as never)) throw cbError('CB_ERR_VALIDATION', `An action name is one of ${AVAILABLE_ACTIONS.join(', ')}`);
    const fields = a.fields ?? [];
    if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string')) throw cbError('CB_ERR_VALIDATION', 'fields must be a list of field names');
    const scope = a.scopeId ?? (a.scope as { id?: unknown } | null | undefined)?.id ?? null;
    if (scope !== null && !/^\d{1,19}$/.test(String(scope))) throw cbError('CB_ERR_VALIDATION', 'scopeId must be a scope id');
    await exec(em, `insert into ${t('dataSourcesRolesResourcesActions')} ("id", "rolesResourceId", "name", "fields", "scopeId") values (?, ?, ?, ?::jsonb, ?)`, [
      String(app.ids.next()), id, a.name, JSON.stringify(fields), scope === null ? null : String(scope),
    ]);
  }
}

/** roles/<role>/dataSourceResources:create|update|get (NocoBase's `roles.dataSourceResources`). */
export async function roleResource(app: UsersApp, caller: Caller, em: Em, params: Params, action: 'create' | 'update' | 'get') {
  assertManager(caller);
  const role = String((await getRole(em, app, params.associatedIndex)).name);
  const filter = obj(typeof params.filter === 'string' ? JSON.parse(params.filter) : params.filter, 'filter');
  const name = action === 'create' ? obj(params.values).name : filter.name;
  if (action !== 'get') {
    if (role === 'root') throw forbiddenError();
    await em.transactional((tx) => writeResource(app, tx, role, { ...obj(params.values), name }));
    await app.acl.changed();
  }
  const rows = (await exec(em, 
    `select r."id", r."roleName", r."dataSourceKey", r."name", r."usingActionsConfig",
            coalesce(json_agg(json_build_object('name', a."name", 'fields', a."fields", 'scopeId', a."scopeId"::text)) filter (where a."id" is not null), '[]') as "actions"
       from ${table(app.schema, 'dataSourcesRolesResources')} r left join ${table(app.schema, 'dataSourcesRolesResourcesActions')} a on a."rolesResourceId" = r."id"
      where r."roleName" = ? and r."name" = ? group by r."id"`,
    [role, String(name ?? '')],
  )) as Array<Record<string, unknown>>;
  return { data: rows[0] ? { ...rows[0], id: Number(rows[0].id) } : null };
}

/** dataSourcesRolesResourcesScopes:list|create — named filters a configured action can use. */
export async function scopes(app: UsersApp, caller: Caller, em: Em, params: Params, action: 'list' | 'create') {
  assertManager(caller);
  const t = table(app.schema, 'dataSourcesRolesResourcesScopes');
  if (action === 'create') {
    const v = obj(params.values);
    const scope = obj(v.scope, 'scope');
    const id = String(app.ids.next());
    await exec(em, `insert into ${t} ("id", "key", "name", "resourceName", "scope") values (?, ?, ?, ?, ?::jsonb)`, [
      id, typeof v.key === 'string' ? v.key : id, typeof v.name === 'string' ? v.name : null, typeof v.resourceName === 'string' ? v.resourceName : null, JSON.stringify(scope),
    ]);
    const [row] = (await exec(em, `select "id"::text, "key", "name", "resourceName", "scope" from ${t} where "id" = ?`, [id])) as Array<Record<string, unknown>>;
    return { data: { ...row, id: Number(row!.id) } };
  }
  const rows = (await exec(em, `select "id"::text, "key", "name", "resourceName", "scope", "dataSourceKey" from ${t} order by "id"`)) as Array<Record<string, unknown>>;
  return { data: rows.map((r) => ({ ...r, id: Number(r.id) })) };
}
