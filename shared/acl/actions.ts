/**
 * NocoBase's action aliases: a role grants `view`, which covers list, get and count; `create` covers
 * firstOrCreate; `update` covers updateOrCreate (as @nocobase/acl's default aliases, plus ours).
 */
const ALIASES: Readonly<Record<string, string>> = {
  list: 'view',
  get: 'view',
  count: 'view',
  view: 'view',
  firstOrCreate: 'create',
  updateOrCreate: 'update',
  export: 'export',
  exportAttachments: 'export',
  import: 'importXlsx',
  importXlsx: 'importXlsx',
};

/** The permission name an action is checked under. */
export function permissionAction(action: string): string {
  return ALIASES[action] ?? action;
}

/** The actions a role can be granted (roles:check `availableActions`). */
export const AVAILABLE_ACTIONS = ['create', 'view', 'update', 'destroy', 'export', 'importXlsx'] as const;

/** roles:check `actionAlias`, as NocoBase's client reads it. */
export const ACTION_ALIAS: Readonly<Record<string, string>> = { list: 'view', get: 'view' };
