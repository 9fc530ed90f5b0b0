import type { AclUser, Filter } from './types.js';

const WHOLE = /^\s*\{\{\s*\$user\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/;

/**
 * A scope with its `{{$user.<field>}}` variables replaced by the caller's values (NocoBase's
 * `{{$user.id}}`, `{{ $user.id }}`). A value that is exactly one variable becomes the field's value
 * with its type (a number stays a number); an unknown field is null, which matches nothing.
 */
export function bindScope(scope: Filter, user: AclUser | null): Filter {
  return bind(scope, user) as Filter;
}

function bind(value: unknown, user: AclUser | null): unknown {
  if (typeof value === 'string') {
    const match = WHOLE.exec(value);
    if (!match) return value;
    const v = user ? user[match[1]!] : undefined;
    return v === undefined ? null : v;
  }
  if (Array.isArray(value)) return value.map((v) => bind(v, user));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bind(v, user)]));
  return value;
}
