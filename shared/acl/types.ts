/**
 * The permission model of NocoBase's plugin-acl (roles, strategies, per-collection actions with
 * scopes and fields), as data. The pure resolver reads it; the permission table loads it per app.
 */

/** A filter in NocoBase's JSON form; string values may hold `{{$user.id}}`-style variables. */
export type Filter = Readonly<Record<string, unknown>>;

/** One configured action of one collection for one role (dataSourcesRolesResourcesActions). */
export interface ActionRule {
  /** NocoBase's action name: `view`, `create`, `update`, `destroy`, `export`, `importXlsx`. */
  readonly name: string;
  /** Fields the action may read or write; empty = every field. */
  readonly fields: readonly string[];
  /** The scope's filter (dataSourcesRolesResourcesScopes.scope); null = all records. */
  readonly scope: Filter | null;
}

/** One role as the resolver sees it. */
export interface RoleDefinition {
  readonly name: string;
  /** General strategy: actions on every collection, e.g. `['view', 'update:own']` (NocoBase's `:own`). */
  readonly strategy: { readonly actions: readonly string[] } | null;
  /**
   * Collections with their own configuration (`usingActionsConfig`): for those the strategy does
   * not apply, only these actions do.
   */
  readonly resources: ReadonlyMap<string, readonly ActionRule[]>;
  readonly snippets: readonly string[];
  readonly allowConfigure: boolean;
}

/** The caller, for variables in scopes. */
export interface AclUser {
  readonly id: number | string;
  readonly [field: string]: unknown;
}

/**
 * The answer for one (roles, resource, action): allowed or not; the filter every read and write of
 * the action must be combined with (null: none); the fields it may touch (null: all).
 */
export interface Permission {
  readonly allowed: boolean;
  readonly filter: Filter | null;
  readonly fields: readonly string[] | null;
}
