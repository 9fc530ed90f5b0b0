import { permissionAction } from './actions.js';
import type { AclUser, Filter, Permission, RoleDefinition } from './types.js';
import { bindScope } from './variables.js';

/** NocoBase's `own` scope: the records the caller created. */
export const OWN_SCOPE: Filter = { createdById: '{{$user.id}}' };

const ALLOW_ALL: Permission = { allowed: true, filter: null, fields: null };
const DENY: Permission = { allowed: false, filter: null, fields: null };

/**
 * What `roles` together may do with `action` on the collection `resource` (NocoBase's union of roles:
 * any role allowing it is enough). Per role: a collection configured for it (`usingActionsConfig`)
 * allows only its listed actions, each with its scope and fields; otherwise the general strategy
 * (`view`, `update:own` …). `root` may do everything. The filters of the allowing roles are OR-ed
 * (one unscoped role means no filter); their field lists are merged (one "all fields" means all).
 */
export function resolvePermission(roles: readonly RoleDefinition[], resource: string, action: string, user: AclUser | null): Permission {
  if (roles.some((r) => r.name === 'root')) return ALLOW_ALL;
  const wanted = permissionAction(action);
  const grants: Array<{ filter: Filter | null; fields: readonly string[] | null }> = [];
  for (const role of roles) {
    const configured = role.resources.get(resource);
    if (configured) {
      const rule = configured.find((a) => a.name === wanted);
      if (rule) grants.push({ filter: rule.scope && Object.keys(rule.scope).length > 0 ? bindScope(rule.scope, user) : null, fields: rule.fields.length > 0 ? rule.fields : null });
      continue;
    }
    for (const granted of role.strategy?.actions ?? []) {
      const [name, scope] = granted.split(':');
      if (name !== wanted) continue;
      grants.push({ filter: scope === 'own' ? bindScope(OWN_SCOPE, user) : null, fields: null });
    }
  }
  if (grants.length === 0) return DENY;
  const filter = grants.some((g) => g.filter === null) ? null : grants.length === 1 ? grants[0]!.filter : { $or: grants.map((g) => g.filter) };
  const fields = grants.some((g) => g.fields === null) ? null : [...new Set(grants.flatMap((g) => g.fields!))];
  return { allowed: true, filter, fields };
}

/**
 * roles:check's merged role (NocoBase's mergeRole): the role names, the configured collections, the
 * `actions` map for the merged roles: `"<collection>:<action>"` → `{fields?, filter?}`
 * for every configured collection action (NocoBase's ACLRole.toJSON), and the merged strategy.
 */
export function mergedRoleJson(roles: readonly RoleDefinition[]): {
  roles: string[];
  resources: string[];
  strategy: { actions: string[] };
  actions: Record<string, { fields?: string[]; filter?: Filter }>;
  snippets: string[];
} {
  const strategy = [...new Set(roles.flatMap((r) => r.strategy?.actions ?? []))];
  const actions: Record<string, { fields?: string[]; filter?: Filter }> = {};
  for (const role of roles) {
    for (const [resource, rules] of role.resources) {
      for (const rule of rules) {
        const key = `${resource}:${rule.name}`;
        const entry = { ...(rule.fields.length > 0 ? { fields: [...rule.fields] } : {}), ...(rule.scope && Object.keys(rule.scope).length > 0 ? { filter: rule.scope } : {}) };
        const before = actions[key];
        // Union: an entry without limits wins over a limited one.
        actions[key] = !before ? entry : { ...(before.fields && entry.fields ? { fields: [...new Set([...before.fields, ...entry.fields])] } : {}), ...(before.filter && entry.filter ? { filter: { $or: [before.filter, entry.filter] } } : {}) };
      }
    }
  }
  return {
    roles: roles.map((r) => r.name),
    // The configured collections (NocoBase's mergeRole `resources`).
    resources: [...new Set(roles.flatMap((r) => [...r.resources.keys()]))],
    strategy: { actions: strategy },
    actions,
    snippets: [...new Set(roles.flatMap((r) => r.snippets))],
  };
}
