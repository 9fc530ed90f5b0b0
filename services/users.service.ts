import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppContext } from '../shared/apps/index.js';
import type { Caller } from '../shared/auth/index.js';
import type { Service } from 'moleculer';
import { requestsService, version } from '../shared/runtime/index.js';
import * as users from '../shared/users/index.js';
import { restAction } from './support/rest-action.js';

type Run = (app: users.UsersApp, caller: users.Caller, em: EntityManager, params: users.UsersParams) => Promise<unknown>;

/** The signed-in caller as shared/users sees it (its roles, the X-Role ones it acts with). */
const usersCaller = (caller: Caller): users.Caller => ({ id: caller.user!.id, roles: caller.roles, current: caller.current, role: caller.role });

/** One REST action: the caller signed in (X-Role applied), then the body in shared/users (which checks the caller). */
const action = (resource: string, name: string, write: boolean, run: Run) =>
  restAction({ resource, action: name, write, access: 'signed-in', ...(resource === 'users' ? { collection: true } : {}) }, (app: AppContext, caller, em, params) =>
    run({ schema: app.schema, ids: app.cluster.ids, acl: app.acl, data: app.data, aesKey: app.aesKey }, usersCaller(caller), em, params as users.UsersParams),
  );

/** An action open to anybody (the sign-in page reads these before anyone is signed in). */
const open = (resource: string, name: string, run: (app: AppContext, caller: Caller, em: EntityManager, params: users.UsersParams) => Promise<unknown>) =>
  restAction({ resource, action: name, write: false, access: 'public' }, (app: AppContext, caller, em, params) => run(app, caller, em, params as users.UsersParams));

/** systemSettings:put|update: root and admin (checked in shared/users). */
const settingsUpdate = (name: string) =>
  restAction({ resource: 'systemSettings', action: name, write: true, access: 'signed-in' }, (app: AppContext, caller, em, params) =>
    users.updateSystemSettings(app, caller, em, params as users.UsersParams),
  );

/**
 * Users, roles and permissions, system settings and the app's language and plugins (requests role), NocoBase's resources and shapes (plugin-users,
 * plugin-acl, plugin-data-source-manager); logic in shared/users and shared/acl.
 */
const UsersService = requestsService({
  name: 'users',
  actions: {
    usersList: action('users', 'list', false, users.listUsers),
    usersGet: action('users', 'get', false, users.getUser),
    usersCreate: action('users', 'create', true, users.createUser),
    usersUpdate: action('users', 'update', true, users.updateUser),
    usersDestroy: action('users', 'destroy', true, users.destroyUser),
    usersUpdateProfile: action('users', 'updateProfile', true, users.updateProfile),
    changePassword: action('auth', 'changePassword', true, users.changePassword),
    userRolesList: action('users.roles', 'list', false, (a, c, em, p) => users.userRoles(a, c, em, p, 'list')),
    userRolesAdd: action('users.roles', 'add', true, (a, c, em, p) => users.userRoles(a, c, em, p, 'add')),
    userRolesRemove: action('users.roles', 'remove', true, (a, c, em, p) => users.userRoles(a, c, em, p, 'remove')),
    userRolesSet: action('users.roles', 'set', true, (a, c, em, p) => users.userRoles(a, c, em, p, 'set')),
    rolesList: action('roles', 'list', false, users.listRoles),
    rolesGet: action('roles', 'get', false, users.getRoleAction),
    rolesCreate: action('roles', 'create', true, users.createRole),
    rolesUpdate: action('roles', 'update', true, users.updateRole),
    rolesDestroy: action('roles', 'destroy', true, users.destroyRole),
    rolesCheck: action('roles', 'check', false, (a, c, em) => users.checkRole(a, c, em)),
    dataSourceRolesGet: action('dataSources.roles', 'get', false, (a, c, em, p) => users.dataSourceRole(a, c, em, p, 'get')),
    dataSourceRolesUpdate: action('dataSources.roles', 'update', true, (a, c, em, p) => users.dataSourceRole(a, c, em, p, 'update')),
    roleResourcesCreate: action('roles.dataSourceResources', 'create', true, (a, c, em, p) => users.roleResource(a, c, em, p, 'create')),
    roleResourcesUpdate: action('roles.dataSourceResources', 'update', true, (a, c, em, p) => users.roleResource(a, c, em, p, 'update')),
    roleResourcesGet: action('roles.dataSourceResources', 'get', false, (a, c, em, p) => users.roleResource(a, c, em, p, 'get')),
    scopesList: action('dataSourcesRolesResourcesScopes', 'list', false, (a, c, em, p) => users.scopes(a, c, em, p, 'list')),
    scopesCreate: action('dataSourcesRolesResourcesScopes', 'create', true, (a, c, em, p) => users.scopes(a, c, em, p, 'create')),
    systemSettingsGet: open('systemSettings', 'get', users.getSystemSettings),
    systemSettingsPut: settingsUpdate('put'),
    systemSettingsUpdate: settingsUpdate('update'),
    appGetLang: open('app', 'getLang', users.getLang),
    appGetPlugins: restAction({ resource: 'app', action: 'getPlugins', write: false, access: 'signed-in' }, function (this: Service) {
      return Promise.resolve(users.servicePlugins(this.broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }).map((s) => s.name), version));
    }),
  },
});

export = UsersService;
