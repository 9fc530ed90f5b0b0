import type { PermissionTable } from '../acl/index.js';
import type { SqlRunner } from '../auth/index.js';
import type { UsersData } from './user-fields.js';

/** Who calls: the signed-in user and the roles it acts with (X-Role, or all of its roles). */
export interface Caller {
  readonly id: number;
  /** Every role the user has. */
  readonly roles: readonly string[];
  /** The roles this request acts with. */
  readonly current: readonly string[];
  /** `X-Role` as sent (`__union__` or a role name), else null. */
  readonly role: string | null;
}

/** What a users/roles action needs of its app. */
export interface UsersApp {
  readonly schema: string;
  readonly ids: { next(): number };
  readonly acl: PermissionTable;
  /** The users collection (fields added to it are read and written with the built-in ones). */
  readonly data?: UsersData;
  readonly aesKey?: Buffer;
}

export type Em = SqlRunner;

export type Params = Record<string, unknown> & { filterByTk?: unknown; associatedIndex?: unknown; values?: unknown; page?: unknown; pageSize?: unknown };
