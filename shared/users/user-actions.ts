import { canManageUser, forbiddenError, hashPassword, MAX_PASSWORD_BYTES, verifyPassword } from '../auth/index.js';
import { cbError } from '../errors/index.js';
import type { Caller, Em, Params, UsersApp } from './types.js';
import { addedValues, afterCommit, writeAdded, type AfterCommit } from './user-fields.js';
import { exec, findUser, knownRoles, pageOf, rolesByName, table, TEXT_ARRAY, uniqueUser, USER_COLUMNS, userJson, type UserRow } from './users-sql.js';

const PROFILE_FIELDS = ['username', 'email', 'nickname'] as const;

/** Managing users is for root and admin (an admin never touches a root user or grants root). */
function assertManager(caller: Caller): void {
  if (!caller.current.includes('root') && !caller.current.includes('admin')) throw forbiddenError();
}

function values(params: Params): Record<string, unknown> {
  const v = params.values;
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw cbError('CB_ERR_VALIDATION', 'values must be an object');
  return v as Record<string, unknown>;
}

function profile(v: Record<string, unknown>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const f of PROFILE_FIELDS) {
    if (!(f in v)) continue;
    const x = v[f];
    if (x !== null && (typeof x !== 'string' || x.length > 255)) throw cbError('CB_ERR_VALIDATION', `${f} must be a string of at most 255 characters`);
    if (f === 'email' && typeof x === 'string' && !/^[^\s@]+@[^\s@]+$/.test(x)) throw cbError('CB_ERR_VALIDATION', 'email must be an email address');
    out[f] = x === '' ? null : (x as string | null);
  }
  return out;
}

function password(x: unknown, field = 'password'): string {
  if (typeof x !== 'string' || x.length === 0 || Buffer.byteLength(x) > MAX_PASSWORD_BYTES) throw cbError('CB_ERR_VALIDATION', `${field} must be a non-empty string`);
  return x;
}

async function setColumns(em: Em, app: UsersApp, id: string, columns: Record<string, unknown>): Promise<void> {
  const names = Object.keys(columns);
  if (names.length === 0) return;
  await uniqueUser(() =>
    exec(em, 
      `update ${table(app.schema, 'users')} set ${names.map((n) => `"${n}" = ${n === 'roles' ? TEXT_ARRAY : '?'}`).join(', ')}, "updatedAt" = now() where "id" = ?`,
      [...names.map((n) => (n === 'roles' ? JSON.stringify(columns[n]) : columns[n])), id],
    ),
  );
}

/** The users as answered: built-in columns, role records, and the fields added to the collection. */
async function answer(em: Em, app: UsersApp, rows: readonly UserRow[]) {
  const roles = await rolesByName(em, app.schema);
  const added = await addedValues(em, app.data, rows.map((r) => r.id), app.aesKey);
  return rows.map((r) => ({ ...added.get(String(r.id)), ...userJson(r, roles) }));
}

async function one(em: Em, app: UsersApp, id: unknown) {
  return (await answer(em, app, [await findUser(em, app.schema, id)]))[0]!;
}

/** users:list — NocoBase's page envelope; `appends=roles` gives the role records. */
export async function listUsers(app: UsersApp, caller: Caller, em: Em, params: Params) {
  assertManager(caller);
  const { page, pageSize } = pageOf(params);
  const users = table(app.schema, 'users');
  const [{ count }] = (await exec(em, `select count(*)::int as "count" from ${users}`)) as [{ count: number }];
  const rows = (await exec(em, `select ${USER_COLUMNS} from ${users} order by "id" limit ? offset ?`, [pageSize, (page - 1) * pageSize])) as UserRow[];
  return { data: await answer(em, app, rows), meta: { count, page, pageSize, totalPage: Math.ceil(count / pageSize) } };
}

export async function getUser(app: UsersApp, caller: Caller, em: Em, params: Params) {
  if (String(params.filterByTk) !== String(caller.id)) assertManager(caller);
  return { data: await one(em, app, params.filterByTk) };
}

/** users:create — the default role (roles.default) unless `roles` are given; a password is required. */
export async function createUser(app: UsersApp, caller: Caller, em: Em, params: Params) {
  assertManager(caller);
  const v = values(params);
  const fields = profile(v);
  if (!fields.username && !fields.email) throw cbError('CB_ERR_VALIDATION', 'A user needs a username or an email');
  let roles: string[];
  if (v.roles !== undefined) roles = await knownRoles(em, app.schema, v.roles);
  else roles = ((await exec(em, `select "name" from ${table(app.schema, 'roles')} where "default" order by "sort" nulls last limit 1`)) as Array<{ name: string }>).map((r) => r.name);
  if (!canManageUser(caller.current, [], roles)) throw forbiddenError();
  const hash = await hashPassword(password(v.password));
  const id = String(app.ids.next());
  const after: AfterCommit = [];
  await em.transactional(async (tx) => {
    await uniqueUser(() =>
      exec(tx, `insert into ${table(app.schema, 'users')} ("id", "username", "email", "nickname", "password", "roles") values (?, ?, ?, ?, ?, ${TEXT_ARRAY})`, [
        id, fields.username ?? null, fields.email ?? null, fields.nickname ?? null, hash, JSON.stringify(roles),
      ]),
    );
    await writeAdded(tx, app.data, id, v, after);
  });
  await afterCommit(after);
  return { data: await one(em, app, id) };
}

/** users:update — profile fields, `roles`, and `password` (the admin's reset: no old password needed). */
export async function updateUser(app: UsersApp, caller: Caller, em: Em, params: Params) {
  assertManager(caller);
  const target = await findUser(em, app.schema, params.filterByTk);
  const v = values(params);
  const roles = v.roles !== undefined ? await knownRoles(em, app.schema, v.roles) : undefined;
  if (!canManageUser(caller.current, target.roles, roles ?? [])) throw forbiddenError();
  const columns: Record<string, unknown> = { ...profile(v) };
  if (roles) columns.roles = roles;
  if (v.password !== undefined) columns.password = await hashPassword(password(v.password));
  const after: AfterCommit = [];
  await em.transactional(async (tx) => {
    await setColumns(tx, app, target.id, columns);
    await writeAdded(tx, app.data, target.id, v, after);
  });
  await afterCommit(after);
  if (roles) await app.acl.changed();
  return { data: await one(em, app, target.id) };
}

export async function destroyUser(app: UsersApp, caller: Caller, em: Em, params: Params) {
  assertManager(caller);
  const target = await findUser(em, app.schema, params.filterByTk);
  if (String(target.id) === String(caller.id)) throw cbError('CB_ERR_VALIDATION', 'You cannot delete yourself');
  if (!canManageUser(caller.current, target.roles)) throw forbiddenError();
  await exec(em, `delete from ${table(app.schema, 'users')} where "id" = ?`, [target.id]);
  // Every node forgets the user at the next request (its cached row is keyed by the ACL version).
  await app.acl.changed();
  return { data: 1 };
}

/** users:updateProfile — the caller's own username, email and nickname (never roles or password). */
export async function updateProfile(app: UsersApp, caller: Caller, em: Em, params: Params) {
  await setColumns(em, app, String(caller.id), profile(values(params)));
  return { data: userJson(await findUser(em, app.schema, caller.id)) };
}

/** auth:changePassword — `oldPassword` must match; `newPassword` (and `confirmPassword` when sent) set it. */
export async function changePassword(app: UsersApp, caller: Caller, em: Em, params: Params) {
  const v = values(params);
  const next = password(v.newPassword, 'newPassword');
  if (v.confirmPassword !== undefined && v.confirmPassword !== next) throw cbError('CB_ERR_VALIDATION', 'The password is inconsistent, please re-enter');
  const rows = (await exec(em, `select "password" from ${table(app.schema, 'users')} where "id" = ?`, [caller.id])) as Array<{ password: string | null }>;
  const ok = rows[0]?.password ? await verifyPassword(typeof v.oldPassword === 'string' ? v.oldPassword : '', rows[0].password) : false;
  if (!ok) throw cbError('CB_ERR_VALIDATION', 'The password is incorrect, please re-enter');
  await setColumns(em, app, String(caller.id), { password: await hashPassword(next) });
  return { data: userJson(await findUser(em, app.schema, caller.id)) };
}

/** users/<id>/roles:list|add|remove|set — `values` (or `filterByTk` for remove) names the roles. */
export async function userRoles(app: UsersApp, caller: Caller, em: Em, params: Params, action: 'list' | 'add' | 'remove' | 'set') {
  assertManager(caller);
  const target = await findUser(em, app.schema, params.associatedIndex);
  const byName = await rolesByName(em, app.schema);
  if (action === 'list') return { data: target.roles.map((n) => byName.get(n)).filter(Boolean) };
  const named = await knownRoles(em, app.schema, params.values ?? params.filterByTk);
  const next =
    action === 'set' ? named : action === 'add' ? [...new Set([...target.roles, ...named])] : target.roles.filter((r) => !named.includes(r));
  if (!canManageUser(caller.current, target.roles, action === 'remove' ? [] : named)) throw forbiddenError();
  await setColumns(em, app, target.id, { roles: next });
  await app.acl.changed();
  return { data: null };
}
