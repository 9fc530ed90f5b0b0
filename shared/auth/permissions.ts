import { forbiddenError } from './errors.js';
import type { PermissionRules } from './types.js';

/** Record actions that only read. */
export const READ_ACTIONS = ['list', 'get', 'count'] as const;
/** Record actions that write. */
export const WRITE_ACTIONS = ['create', 'update', 'destroy', 'firstOrCreate', 'updateOrCreate'] as const;
/** What a member may do on an ordinary collection unless rules say otherwise. */
export const MEMBER_ACTIONS: readonly string[] = [...READ_ACTIONS, ...WRITE_ACTIONS];

/** Built-in roles. Any other role name is allowed only what rules grant it. */
export const ROLES = ['root', 'admin', 'member', 'anonymous'] as const;

/**
 * Built-in rules of system resources, used unless `rules` names the same resource and role: members
 * may read collection and field definitions (a client needs them) but not change them, and have no
 * access to `users` (emails of others). Resource names are NocoBase's (`collections.fields` is the
 * association resource `collections/<name>/fields`).
 */
export const SYSTEM_RULES: PermissionRules = {
  users: { member: [] },
  collections: { member: ['list', 'get'] },
  'collections.fields': { member: ['list', 'get'] },
};

/**
 * May a caller with `roles` run `action` on `collection`? Any one role allowing it is enough.
 *
 * - `root` and `admin`: everything (rules do not restrict them). What an admin may not do — manage a
 *   root user or grant `root` — is a record-level question: see canManageUser.
 * - every caller also has `anonymous`: what is open to everybody is open to signed-in users too.
 * - other roles, per role: `rules[collection][role]`, else SYSTEM_RULES, else `rules['*'][role]`
 *   (a default for every collection), else the built-in default: `member` → MEMBER_ACTIONS,
 *   `anonymous` and unknown roles → nothing. An action list may hold `'*'` (every action).
 */
export function can(roles: readonly string[], collection: string, action: string, rules: PermissionRules = {}): boolean {
  if (roles.includes('root') || roles.includes('admin')) return true;
  for (const role of new Set([...roles, 'anonymous'])) {
    const allowed = rules[collection]?.[role] ?? SYSTEM_RULES[collection]?.[role] ?? rules['*']?.[role] ?? builtIn(role);
    if (allowed.includes(action) || allowed.includes('*')) return true;
  }
  return false;
}

function builtIn(role: string): readonly string[] {
  return role === 'member' ? MEMBER_ACTIONS : [];
}

/** Throws the 403 `No permissions` error unless `can(...)` allows the call. */
export function assertCan(roles: readonly string[], collection: string, action: string, rules?: PermissionRules): void {
  if (!can(roles, collection, action, rules)) throw forbiddenError();
}

/**
 * May an actor change (update, destroy, set the roles of) a user whose roles are `targetRoles`, giving
 * it `newRoles` (when roles change)? Root: always. Admin: yes, unless the user is a root or would
 * become one. Anyone else: no (their own profile is a separate action).
 */
export function canManageUser(actorRoles: readonly string[], targetRoles: readonly string[], newRoles: readonly string[] = []): boolean {
  if (actorRoles.includes('root')) return true;
  if (!actorRoles.includes('admin')) return false;
  return !targetRoles.includes('root') && !newRoles.includes('root');
}
