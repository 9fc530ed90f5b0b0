import { can } from './permissions.js';
import { forbiddenError } from './errors.js';
import type { PermissionRules, PublicUser } from './types.js';

/** What a request carries about itself besides its params (set by the gateway, read by handlers). */
export interface CallerRequest {
  /** The action's full name (`data.create`): part of what makes two idempotent requests "the same". */
  readonly action: string;
  /** The raw `Authorization` header. */
  readonly authorization?: string;
  readonly idempotencyKey?: string;
  readonly authenticator?: string;
  readonly requestId?: string;
  /** X-Timezone of the request (`+08:00`): the zone of date filter values without their own. */
  readonly timezone?: string;
  /** `X-Role`: the role the caller acts with (`__union__` or none: all of its roles). */
  readonly role?: string;
  /** The client's address (sign-in limits). */
  readonly ip?: string;
  /** Epoch ms by which the request's work must end, a margin before the gateway's 504 (shared/sql deadline). */
  readonly deadline?: number;
}

/**
 * The limits of an allowed action on a collection: a filter every read and write of it is combined
 * with (null: all records) and the fields it may read or write (null: all). Role scopes and field
 * permissions (shared/acl) as the action wrapper applies them.
 */
export interface RecordLimits {
  readonly filter: Readonly<Record<string, unknown>> | null;
  readonly fields: readonly string[] | null;
}

type LimitsOf = (caller: Caller, resource: string, action: string) => RecordLimits | null;

/**
 * Who calls a REST action, checked once by the action wrapper before the handler runs: the signed-in
 * user (null for an anonymous caller of a public action), its roles, the role it acts in, and how it
 * asked. Every permission question goes through `can`/`assertCan`: role scopes and field permissions
 * plug in here (a subclass or a richer `permissions` hook), never in the handlers.
 */
export class Caller {
  /** The role the caller acts in (NocoBase's X-Role); its first role without one (or with `__union__`). */
  readonly currentRole: string;
  /** The roles this request acts with: the X-Role one, else (none, `__union__`) all of them. */
  readonly current: readonly string[];
  /** `X-Role` as sent (`__union__` or a role name), else null. */
  readonly role: string | null;

  constructor(
    readonly user: PublicUser | null,
    readonly roles: readonly string[],
    readonly request: CallerRequest,
    private readonly permissions: (caller: Caller, resource: string, action: string, rules?: PermissionRules) => boolean = defaultPermissions,
    private readonly limitsOf: LimitsOf = () => null,
  ) {
    this.role = request.role || null;
    this.current = this.role && this.role !== '__union__' ? [this.role] : roles;
    this.currentRole = this.current[0] ?? 'anonymous';
  }

  static anonymous(request: CallerRequest): Caller {
    return new Caller(null, [], request);
  }

  /** Who is asking, for keys scoped per caller (idempotency): the user id, '' when anonymous. */
  get principal(): string {
    return this.user ? String(this.user.id) : '';
  }

  /** Is one of the roles it acts with root or admin (sees every task, manages the supervisor)? */
  get isAdmin(): boolean {
    return this.current.includes('root') || this.current.includes('admin');
  }

  can(resource: string, action: string, rules?: PermissionRules): boolean {
    return this.permissions(this, resource, action, rules);
  }

  /**
   * The scope and field limits of `action` on the collection `resource` for the roles the caller acts
   * with, or null when there are none (root, admin, an unscoped grant on every field).
   */
  limits(resource: string, action: string): RecordLimits | null {
    return this.limitsOf(this, resource, action);
  }

  /** The 403 `No permissions` unless `can(...)`. */
  assertCan(resource: string, action: string, rules?: PermissionRules): void {
    if (!this.can(resource, action, rules)) throw forbiddenError();
  }
}

function defaultPermissions(caller: Caller, resource: string, action: string, rules?: PermissionRules): boolean {
  return can(caller.current, resource, action, rules);
}
