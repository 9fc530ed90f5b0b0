import { mergedRoleJson, resolvePermission, type ActionRule, type RoleDefinition } from '../../index';

function role(name: string, strategy: string[] | null, resources: Record<string, ActionRule[]> = {}): RoleDefinition {
  return { name, strategy: strategy ? { actions: strategy } : null, resources: new Map(Object.entries(resources)), snippets: [], allowConfigure: false };
}

const user = { id: 42, nickname: 'ann' };

describe('resolvePermission: NocoBase’s roles, strategies, scopes and fields', () => {
  test('root may do everything, without filter or field limits', () => {
    expect(resolvePermission([role('root', null)], 'posts', 'destroy', user)).toEqual({ allowed: true, filter: null, fields: null });
  });

  test('the general strategy grants actions on every collection; view covers list, get and count', () => {
    const member = role('member', ['view', 'create']);
    for (const action of ['list', 'get', 'count', 'view', 'create', 'firstOrCreate']) expect(resolvePermission([member], 'posts', action, user).allowed).toBe(true);
    for (const action of ['update', 'destroy', 'export']) expect(resolvePermission([member], 'posts', action, user).allowed).toBe(false);
  });

  test('`:own` in a strategy scopes the action to the caller’s records with its id bound', () => {
    const member = role('member', ['view', 'update:own']);
    expect(resolvePermission([member], 'posts', 'update', user)).toEqual({ allowed: true, filter: { createdById: 42 }, fields: null });
  });

  test('a configured collection ignores the strategy: only its actions, with their scopes and fields', () => {
    const scope = { $and: [{ createdById: '{{ $user.id }}' }, { status: 'draft' }] };
    const editor = role('editor', ['view', 'create', 'update', 'destroy'], {
      posts: [
        { name: 'view', fields: ['title', 'body'], scope },
        { name: 'update', fields: ['title'], scope: null },
      ],
    });
    expect(resolvePermission([editor], 'posts', 'list', user)).toEqual({ allowed: true, filter: { $and: [{ createdById: 42 }, { status: 'draft' }] }, fields: ['title', 'body'] });
    expect(resolvePermission([editor], 'posts', 'update', user)).toEqual({ allowed: true, filter: null, fields: ['title'] });
    expect(resolvePermission([editor], 'posts', 'destroy', user).allowed).toBe(false);
    expect(resolvePermission([editor], 'comments', 'destroy', user).allowed).toBe(true);
  });

  test('several roles unite: filters are OR-ed, fields merged, and one unlimited grant lifts the limit', () => {
    const a = role('a', null, { posts: [{ name: 'view', fields: ['title'], scope: { createdById: '{{$user.id}}' } }] });
    const b = role('b', null, { posts: [{ name: 'view', fields: ['body'], scope: { public: true } }] });
    const c = role('c', ['view']);
    expect(resolvePermission([a, b], 'posts', 'get', user)).toEqual({ allowed: true, filter: { $or: [{ createdById: 42 }, { public: true }] }, fields: ['title', 'body'] });
    expect(resolvePermission([a, c], 'posts', 'get', user)).toEqual({ allowed: true, filter: null, fields: null });
  });

  test('no role, or an unknown variable: nothing is allowed / the variable matches nothing', () => {
    expect(resolvePermission([], 'posts', 'list', user).allowed).toBe(false);
    const r = role('r', null, { posts: [{ name: 'view', fields: [], scope: { ownerId: '{{$user.missing}}' } }] });
    expect(resolvePermission([r], 'posts', 'list', null).filter).toEqual({ ownerId: null });
  });

  test('roles:check’s merged shape lists configured actions as "<collection>:<action>"', () => {
    const editor = role('editor', ['view'], { posts: [{ name: 'update', fields: ['title'], scope: { createdById: '{{$user.id}}' } }] });
    expect(mergedRoleJson([editor])).toEqual({
      roles: ['editor'],
      resources: ['posts'],
      strategy: { actions: ['view'] },
      actions: { 'posts:update': { fields: ['title'], filter: { createdById: '{{$user.id}}' } } },
      snippets: [],
    });
  });
});
