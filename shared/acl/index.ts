export type { ActionRule, AclUser, Filter, Permission, RoleDefinition } from './types.js';
export { permissionAction, AVAILABLE_ACTIONS, ACTION_ALIAS } from './actions.js';
export { bindScope } from './variables.js';
export { resolvePermission, mergedRoleJson, OWN_SCOPE } from './resolve-permission.js';
export { PermissionTable, ACL_CHANNEL, type PermissionTableOptions, type AclSql, type AclSignal, type AclSnapshot } from './permission-table.js';
export { scopedParams, type ScopedCollection, type ActionLimits } from './scoped-params.js';
