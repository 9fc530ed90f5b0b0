import { quoteIdent } from '../sql/index.js';
import type { PublicUser } from './types.js';

/** ISO 8601 in UTC with milliseconds (`2026-11-22T08:40:15.967Z`), as NocoBase returns times. */
function isoColumn(column: string): string {
  return `to_char(${quoteIdent(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${quoteIdent(column)}`;
}

/** Columns of `users` a client may see (never `password`), times as ISO strings. */
export const PUBLIC_USER_COLUMNS = `"id", "username", "email", "nickname", "roles", ${isoColumn('createdAt')}, ${isoColumn('updatedAt')}`;

export interface UserRow {
  readonly id: string | number;
  readonly username: string | null;
  readonly email: string | null;
  readonly nickname: string | null;
  readonly roles: string[] | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly password?: string | null;
}

export function toPublicUser(row: UserRow): PublicUser {
  return {
    id: Number(row.id),
    username: row.username,
    email: row.email,
    nickname: row.nickname,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
