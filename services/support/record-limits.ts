import { scopedParams, type ScopedCollection } from '../../shared/acl/index.js';
import type { AppContext } from '../../shared/apps/index.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { forbiddenError, type Caller, type PermissionRules } from '../../shared/auth/index.js';
import { countRecords, targetFilter } from '../../shared/data-api/index.js';
import { isRelation, type CollectionMeta } from '../../shared/data/index.js';

/** The action on an association's target that an association action is (add/remove/set/toggle only link: none). */
const ON_TARGET: Readonly<Record<string, string>> = { list: 'list', get: 'get', count: 'count', create: 'create', update: 'update', destroy: 'destroy' };

function scopedCollection(meta: CollectionMeta): ScopedCollection {
  return {
    primaryKey: meta.primaryKey,
    fields: new Set(meta.fields.keys()),
    isRelation: (name) => {
      const field = meta.fields.get(name);
      return field !== undefined && isRelation(field);
    },
  };
}

/**
 * The permission check of a records (`*`) or association (`*.*`) request, and its params with the
 * caller's scope and field permissions applied (shared/acl scopedParams). A records request is checked
 * on the collection in its path; an association's list/get/count/create/update/destroy on its target
 * collection (as @nocobase/acl resolves an association resource to its target), its link actions
 * (add/remove/set/toggle) as `linkPermission` on the source. A resource named after a collection
 * (`attachments:download`) gets that collection's limits too; other resources only the check.
 */
export function checkRecordAccess<P extends Record<string, unknown>>(
  app: AppContext,
  caller: Caller,
  spec: { readonly resource: string; readonly action: string },
  access: { readonly resource?: string; readonly action?: string; readonly rules?: PermissionRules },
  params: P,
): P {
  const path = String(params.resourceName ?? '');
  let resource = access.resource ?? (spec.resource === '*' ? path : spec.resource);
  let action = access.action ?? spec.action;
  if (!access.resource && spec.resource === '*.*') {
    const [source, field] = path.split('.');
    const target = app.data.collections.get(source ?? '')?.fields.get(field ?? '')?.target;
    const onTarget = ON_TARGET[spec.action];
    [resource, action] = target && onTarget ? [target, onTarget] : [source ?? '', action];
  }
  caller.assertCan(resource, action, access.rules);
  if (access.rules) return params;
  // Records of a collection (in the path, or a resource named after one, e.g. attachments:download).
  const meta = app.data.collections.get(resource);
  const limits = meta ? caller.limits(meta.name, action) : null;
  return meta && limits ? (scopedParams(params, action, limits, scopedCollection(meta)) as P) : params;
}

/**
 * plugin-acl's check of a scoped destroy by key: when the keys name more records than the scope
 * leaves, the caller is refused (403) instead of removing only some of them. Two counts, only for a
 * destroy with `filterByTk` under a scope.
 */
export async function assertWholeDestroy(app: AppContext, caller: Caller, em: EntityManager, spec: { readonly resource: string; readonly action: string }, raw: Record<string, unknown>, scoped: Record<string, unknown>): Promise<void> {
  if (spec.action !== 'destroy' || spec.resource === '*.*' || raw === scoped || raw.filterByTk === undefined || raw.filterByTk === '') return;
  const meta = app.data.collections.get(String(raw.resourceName ?? spec.resource));
  if (!meta) return;
  const lookup = (n: string) => app.data.collections.get(n);
  const count = (p: Record<string, unknown>) => countRecords(em, meta, lookup, targetFilter(meta, p.filterByTk, p.filter), caller.request.timezone);
  if ((await count(raw)) > (await count(scoped))) throw forbiddenError();
}
