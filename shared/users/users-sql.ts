import { cbError } from '../errors/index.js';
import { runSql } from '../sql/index.js';
import type { Em } from './types.js';

/**
 * A text[] parameter: MikroORM's execute() spreads an array parameter into a list, so arrays travel
 * as JSON text and become a PostgreSQL array here.
 */
export const TEXT_ARRAY = 'array(select jsonb_array_elements_text(?::jsonb))';

/** The rows of one statement (`?` placeholders). */
export async function exec(em: Em, sql: string, params: readonly unknown[] = []): Promise<unknown[]> {
  return (await runSql(em, sql, params)).rows;
}

export function table(schema: string, name: string): string {
  return `"${schema.replace(/"/g, '""')}"."${name}"`;
}

const iso = (c: string) => `to_char("${c}" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "${c}"`;

/** Columns of `users` clients see (never the password hash). */
export const USER_COLUMNS = `"id", "username", "email", "nickname", "roles", ${iso('createdAt')}, ${iso('updatedAt')}`;
export const ROLE_COLUMNS = `"name", "title", "description", "strategy", "default", "hidden", "allowConfigure", "allowNewMenu", "snippets", "sort", ${iso('createdAt')}, ${iso('updatedAt')}`;

export type UserRow = { id: string; username: string | null; email: string | null; nickname: string | null; roles: string[]; createdAt: string; updatedAt: string };

/** A user as NocoBase answers it; `roles` as role records when `roleRows` is given. */
export function userJson(row: UserRow, roleRows?: ReadonlyMap<string, Record<string, unknown>>) {
  const { roles, ...rest } = row;
  return { ...rest, id: Number(row.id), ...(roleRows ? { roles: roles.map((n) => roleRows.get(n) ?? { name: n }) } : {}) };
}

export async function rolesByName(em: Em, schema: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = (await exec(em, `select ${ROLE_COLUMNS} from ${table(schema, 'roles')}`)) as Array<Record<string, unknown>>;
  return new Map(rows.map((r) => [String(r.name), r]));
}

/** The role records of `names` (auth:check's `roles`), unknown names as `{name}`. */
export async function roleRecords(em: Em, schema: string, names: readonly string[]): Promise<Array<Record<string, unknown>>> {
  const byName = await rolesByName(em, schema);
  return names.map((n) => byName.get(n) ?? { name: n });
}

export async function findUser(em: Em, schema: string, id: unknown): Promise<UserRow> {
  const key = String(id ?? '');
  if (!/^\d{1,19}$/.test(key)) throw cbError('CB_ERR_VALIDATION', 'filterByTk (the user id) is required');
  const rows = (await exec(em, `select ${USER_COLUMNS} from ${table(schema, 'users')} where "id" = ?`, [key])) as UserRow[];
  if (!rows[0]) throw cbError('CB_ERR_HTTP_NOT_FOUND', `User ${key} not found`);
  return rows[0];
}

/** The names of roles that exist, refusing unknown ones with a 400 naming them. */
export async function knownRoles(em: Em, schema: string, names: unknown): Promise<string[]> {
  const list = (Array.isArray(names) ? names : [names]).map((n) => (typeof n === 'object' && n !== null ? (n as { name?: unknown }).name : n));
  if (!list.every((n): n is string => typeof n === 'string' && n.length > 0 && n.length <= 255)) throw cbError('CB_ERR_VALIDATION', 'roles must be role names');
  const rows = (await exec(em, `select "name" from ${table(schema, 'roles')} where "name" = any(${TEXT_ARRAY})`, [JSON.stringify(list)])) as Array<{ name: string }>;
  const found = new Set(rows.map((r) => r.name));
  const unknown = list.filter((n) => !found.has(n));
  if (unknown.length > 0) throw cbError('CB_ERR_VALIDATION', `Unknown role "${unknown[0]!.slice(0, 64)}"`);
  return [...new Set(list)];
}

/** Turns a unique-violation on username/email into a 400 instead of a 500. */
export async function uniqueUser<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === '23505' || /duplicate key|unique/i.test(e.message ?? '')) throw cbError('CB_ERR_VALIDATION', 'A user with this username or email already exists');
    throw err;
  }
}

export function pageOf(params: { page?: unknown; pageSize?: unknown }): { page: number; pageSize: number } {
  const page = Math.max(1, Math.floor(Number(params.page ?? 1)) || 1);
  const pageSize = Math.min(1000, Math.max(1, Math.floor(Number(params.pageSize ?? 20)) || 20));
  return { page, pageSize };
}
