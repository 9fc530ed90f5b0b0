export { roleRecords } from './users-sql.js';
export type { Caller, UsersApp, Params as UsersParams } from './types.js';
export { listUsers, getUser, createUser, updateUser, destroyUser, updateProfile, changePassword, userRoles } from './user-actions.js';
export { listRoles, getRoleAction, createRole, updateRole, destroyRole, checkRole, dataSourceRole, roleResource, scopes } from './role-actions.js';
export { getSystemSettings, updateSystemSettings, getLang, readSettings, servicePlugins, type SettingsApp } from './system-settings.js';
