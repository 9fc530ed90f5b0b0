import { assertCan, can, canManageUser, MEMBER_ACTIONS, type PermissionRules } from '../../index.js';

const ALL = [...MEMBER_ACTIONS, 'export', 'import'];

describe('can: built-in roles', () => {
  it.each(ALL)('root and admin may %s anything', (action) => {
    for (const role of ['root', 'admin']) {
      for (const collection of ['products', 'users', 'collections', 'collections.fields']) {
        expect(can([role], collection, action)).toBe(true);
      }
    }
  });

  it('a member may list/get/count/create/update/destroy ordinary collections, nothing else', () => {
    for (const action of MEMBER_ACTIONS) expect(can(['member'], 'products', action)).toBe(true);
    expect(can(['member'], 'products', 'export')).toBe(false);
  });

  it('a member may read collection and field definitions but not change them, and has no access to users', () => {
    expect(can(['member'], 'collections', 'list')).toBe(true);
    expect(can(['member'], 'collections', 'create')).toBe(false);
    expect(can(['member'], 'collections.fields', 'get')).toBe(true);
    expect(can(['member'], 'collections.fields', 'destroy')).toBe(false);
    expect(can(['member'], 'users', 'list')).toBe(false);
  });

  it('anonymous and unknown roles may do nothing by default', () => {
    for (const action of ALL) {
      expect(can(['anonymous'], 'products', action)).toBe(false);
      expect(can([], 'products', action)).toBe(false);
      expect(can(['auditor'], 'products', action)).toBe(false);
    }
  });
});

describe('can: per-collection rules', () => {
  const rules: PermissionRules = {
    products: { member: ['list', 'get'], anonymous: ['list'], auditor: ['*'] },
    secrets: { member: [] },
    users: { member: ['get'] },
    '*': { auditor: ['list'] },
  };

  const table: [string[], string, string, boolean][] = [
    [['member'], 'products', 'list', true],
    [['member'], 'products', 'create', false],
    [['member'], 'secrets', 'list', false],
    [['member'], 'orders', 'destroy', true],
    [['member'], 'users', 'get', true],
    [['member'], 'users', 'list', false],
    [['anonymous'], 'products', 'list', true],
    [['anonymous'], 'products', 'get', false],
    [['anonymous'], 'orders', 'list', false],
    [['auditor'], 'products', 'destroy', true],
    [['auditor'], 'orders', 'list', true],
    [['auditor'], 'orders', 'get', false],
    [['auditor', 'member'], 'products', 'destroy', true],
    [['admin'], 'secrets', 'destroy', true],
    [['root'], 'secrets', 'destroy', true],
  ];

  it.each(table)('%j on %s:%s → %s', (roles, collection, action, expected) => {
    expect(can(roles, collection, action, rules)).toBe(expected);
  });

  it('what is open to anonymous is open to signed-in users whatever their role', () => {
    const open: PermissionRules = { news: { anonymous: ['list'], member: [] } };
    expect(can(['member'], 'news', 'list', open)).toBe(true);
    expect(can(['member'], 'news', 'get', open)).toBe(false);
  });
});

describe('assertCan', () => {
  it('throws NocoBase’s 403 "No permissions"', () => {
    expect.assertions(4);
    try {
      assertCan(['anonymous'], 'products', 'list');
    } catch (err) {
      const e = err as { code: number; type: string; message: string };
      expect(e.code).toBe(403);
      expect(e.type).toBe('CB_ERR_AUTH_FORBIDDEN');
      expect(e.message).toBe('No permissions');
    }
    expect(() => assertCan(['member'], 'products', 'list')).not.toThrow();
  });
});

describe('canManageUser', () => {
  it('root manages anyone; admin anyone but roots and never makes a root; others nobody', () => {
    expect(canManageUser(['root'], ['root'], ['root'])).toBe(true);
    expect(canManageUser(['admin'], ['member'])).toBe(true);
    expect(canManageUser(['admin'], ['admin'])).toBe(true);
    expect(canManageUser(['admin'], ['root'])).toBe(false);
    expect(canManageUser(['admin'], ['member'], ['root'])).toBe(false);
    expect(canManageUser(['member'], ['member'])).toBe(false);
  });
});
