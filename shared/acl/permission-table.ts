import type { ActionRule, Filter, RoleDefinition } from './types.js';

/** Runs SQL (a MikroORM EntityManager fits). */
export interface AclSql {
  execute(sql: string, params?: unknown[]): Promise<unknown>;
}

/** The part of the sync signal the table needs (shared/sync's SyncSignal view of the app fits). */
export interface AclSignal {
  publish(channel: string, message: unknown, options?: { skipSelf?: boolean; debounceMs?: number }): Promise<void>;
  subscribe(channel: string, handler: () => void | Promise<void>): Promise<() => Promise<void>>;
}

export interface PermissionTableOptions {
  /** PostgreSQL schema of the app. */
  readonly schema: string;
  readonly fork: () => AclSql;
  readonly signal: AclSignal;
  /**
   * A version stamp every node shares (a key in the cluster cache): read once per request, so a
   * change made through any node applies on every node at the very next request, whatever the
   * signal's delivery time. Without it the signal alone invalidates (a few ms later on other nodes).
   */
  readonly version?: { get(): Promise<string | undefined>; set(stamp: string): Promise<void> };
}

/** What `PermissionTable.snapshot()` read for one request. */
export interface AclSnapshot {
  readonly key: string;
}

/** Sync channel every node of the app listens on; any permission write publishes to it. */
export const ACL_CHANNEL = 'acl:changed';

type RoleRow = { name: string; strategy: { actions?: string[] } | null; snippets: string[] | null; allowConfigure: boolean | null };
type RuleRow = { roleName: string; resource: string; action: string | null; fields: string[] | null; scope: Filter | null };

const q = (schema: string, table: string) => `"${schema.replace(/"/g, '""')}"."${table}"`;

/**
 * One app's roles and their permissions on this node, read from its tables once and kept until a
 * permission change is signalled (by this node or any other): the next request after the signal
 * reloads. Every role write calls `changed()` after its commit.
 */
export class PermissionTable {
  private loaded: Promise<Map<string, RoleDefinition>> | null = null;
  /** The shared version stamp the loaded table was read under. */
  private loadedVersion: string | undefined;
  private generation = 0;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(private readonly o: PermissionTableOptions) {}

  /** Starts listening for changes made on other nodes. */
  async open(): Promise<void> {
    this.unsubscribe ??= await this.o.signal.subscribe(ACL_CHANNEL, () => this.invalidate());
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Forgets the loaded table: the next call reloads it. */
  invalidate(): void {
    this.generation++;
    this.loaded = null;
  }

  /** Call after a committed permission change: this node reloads, the others are told at once. */
  async changed(): Promise<void> {
    await this.o.version?.set(`${Date.now()}-${Math.random().toString(36).slice(2)}`);
    this.invalidate();
    await this.o.signal.publish(ACL_CHANNEL, { at: Date.now() }, { debounceMs: 0 });
  }

  /**
   * Reads the shared version once for a request and follows it (a change made anywhere reloads the
   * table): pass the result to `roles()`; its `key` changes with every permission change, so a cache
   * of something permissions depend on (a user's roles) can be keyed by it.
   */
  async snapshot(): Promise<AclSnapshot> {
    if (this.o.version) {
      const current = await this.o.version.get();
      if (current !== this.loadedVersion) {
        this.invalidate();
        this.loadedVersion = current;
      }
    }
    return { key: `${this.loadedVersion ?? ''}#${this.generation}` };
  }

  /** The definitions of the named roles that exist (unknown names are dropped). */
  async roles(names: readonly string[], snapshot?: AclSnapshot): Promise<RoleDefinition[]> {
    if (!snapshot) await this.snapshot();
    const table = await this.table();
    return names.map((n) => table.get(n)).filter((r): r is RoleDefinition => r !== undefined);
  }

  async all(): Promise<RoleDefinition[]> {
    return [...(await this.table()).values()];
  }

  private table(): Promise<Map<string, RoleDefinition>> {
    if (this.loaded) return this.loaded;
    const generation = this.generation;
    const loading = this.load();
    this.loaded = loading;
    loading.catch(() => {
      if (this.loaded === loading) this.loaded = null;
    });
    // A change signalled while loading: that load may be stale, so it is not kept.
    void loading.then(() => {
      if (this.generation !== generation && this.loaded === loading) this.loaded = null;
    }, () => undefined);
    return loading;
  }

  private async load(): Promise<Map<string, RoleDefinition>> {
    const em = this.o.fork();
    const s = this.o.schema;
    const roles = (await em.execute(`select "name", "strategy", "snippets", "allowConfigure" from ${q(s, 'roles')}`)) as RoleRow[];
    const rules = (await em.execute(
      `select r."roleName", r."name" as "resource", a."name" as "action", a."fields", sc."scope"
         from ${q(s, 'dataSourcesRolesResources')} r
         left join ${q(s, 'dataSourcesRolesResourcesActions')} a on a."rolesResourceId" = r."id"
         left join ${q(s, 'dataSourcesRolesResourcesScopes')} sc on sc."id" = a."scopeId"
        where r."usingActionsConfig" and r."dataSourceKey" = 'main'`,
    )) as RuleRow[];
    const byRole = new Map<string, Map<string, ActionRule[]>>();
    for (const r of rules) {
      const resources = byRole.get(r.roleName) ?? new Map<string, ActionRule[]>();
      byRole.set(r.roleName, resources);
      const list = resources.get(r.resource) ?? [];
      resources.set(r.resource, list);
      if (r.action) list.push({ name: r.action, fields: Array.isArray(r.fields) ? r.fields : [], scope: r.scope ?? null });
    }
    return new Map(
      roles.map((r) => [
        r.name,
        {
          name: r.name,
          strategy: r.strategy && Array.isArray(r.strategy.actions) ? { actions: r.strategy.actions } : null,
          resources: byRole.get(r.name) ?? new Map(),
          snippets: r.snippets ?? [],
          allowConfigure: r.allowConfigure === true,
        },
      ]),
    );
  }
}
