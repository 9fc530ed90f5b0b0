import type { EntityManager } from '@mikro-orm/postgresql';
import { PermissionTable, resolvePermission, type RoleDefinition } from '../acl/index.js';
import { AuthService, Caller, ensureRootUser, forbiddenError, Hs256TokenService, bearerToken, can, SYSTEM_RULES, type CallerRequest, type PermissionRules, type RecordLimits } from '../auth/index.js';
import type { Config } from '../config/index.js';
import { AppData } from '../data-api/index.js';
import type { Database } from '../db/index.js';
import type { ClusterAdapters, MessageQueue, SyncSignal } from '../cluster-adapters/index.js';
import { WorkflowApp } from '../workflow/index.js';
import type { AppLog, AppNode } from './types.js';

export interface AppOpenOptions {
  readonly name: string;
  readonly schema: string;
  /** The database holding the app's schema: the node's, or one of its own. */
  readonly database: Database;
  readonly node: AppNode;
  readonly log: AppLog;
}

/**
 * One application on this node: its schema and database, its users and tokens (auth), its collections
 * and records (data), and its workflows, opened together and closed together. REST handlers receive it
 * as their first argument; nothing else holds per-app state.
 */
export class AppContext {
  /** The app's view of the sync signal (messages carry the app name). */
  readonly sync: SyncSignal;

  private constructor(
    readonly name: string,
    readonly schema: string,
    readonly database: Database,
    readonly auth: AuthService,
    readonly data: AppData,
    readonly workflows: WorkflowApp,
    /** Roles, strategies and per-collection permissions (shared/acl), followed across nodes. */
    readonly acl: PermissionTable,
    private readonly node: AppNode,
    readonly log: AppLog,
  ) {
    this.sync = node.cluster.sync.forApp(name);
  }

  /**
   * Opens an app: the root user exists and the signed-out filter is refilled from the table (a flushed
   * Redis does not bring signed-out tokens back), the collections are loaded and followed across
   * nodes, and the workflow triggers ride on every write of the app's records.
   */
  static async open(o: AppOpenOptions): Promise<AppContext> {
    const { config, secrets, cluster } = o.node;
    const fork = () => o.database.fork(o.schema);
    const tokens = new Hs256TokenService({ key: secrets.appKey, expiresInSec: Math.round(config.auth.tokenTtlMs / 1000), clockToleranceSec: 5 });
    const auth = new AuthService({ schema: o.schema, app: o.name, tokens, signedOut: cluster.bloom, log: o.log, guard: cluster.signInGuard });
    const em = fork();
    // INIT_ROOT_* make the main app's root only: a sub-app's root comes from applications:create (the
    // app host makes it at the first start), so no tenant shares the supervisor's credentials.
    if (o.name === 'main') await ensureRootUser(em, o.schema, { ...config.auth.root, ids: cluster.ids, log: o.log });
    await auth.refillSignedOutFilter(em);
    const cache = cluster.cache.forApp(o.name);
    const version = { get: () => cache.get<string>('acl:version'), set: (stamp: string) => cache.set('acl:version', stamp) };
    const acl = new PermissionTable({ schema: o.schema, fork, signal: cluster.sync.forApp(o.name), version });
    await acl.open();
    const data = await AppData.open({ app: o.name, schema: o.schema, ids: cluster.ids, aesKey: secrets.aesKey, lock: cluster.lock, sync: cluster.sync, fork, log: o.log });
    let workflows: WorkflowApp;
    try {
      workflows = await WorkflowApp.open({
        app: o.name, schema: o.schema, ids: cluster.ids, data, aesKey: secrets.aesKey, queue: cluster.queue, sync: cluster.sync.forApp(o.name),
        lock: cluster.lock, fork, settings: config.workflow, nodeId: config.nodeId, log: o.log,
      });
    } catch (err) {
      await data.close();
      await acl.close();
      throw err;
    }
    data.records.addHook(workflows.hook);
    return new AppContext(o.name, o.schema, o.database, auth, data, workflows, acl, o.node, o.log);
  }

  /** A fresh EntityManager of the app's schema (one per call; never shared). */
  fork(): EntityManager {
    return this.database.fork(this.schema);
  }

  get config(): Config {
    return this.node.config;
  }

  get aesKey(): Buffer {
    return this.node.secrets.aesKey;
  }

  get queue(): MessageQueue {
    return this.node.cluster.queue;
  }

  /** The node's cluster middleware (queue, root sync signal, lock, IDs). */
  get cluster(): ClusterAdapters {
    return this.node.cluster;
  }

  broadcast(event: string, payload: unknown): Promise<void> {
    return this.node.broadcast(event, payload);
  }

  /** The caller behind a request's bearer token: 401 without a valid one. */
  async signedIn(em: EntityManager, request: CallerRequest): Promise<Caller> {
    const snapshot = await this.acl.snapshot();
    const { user, roles } = await this.auth.check(em, bearerToken(request.authorization), snapshot.key);
    // X-Role: one of the caller's roles (else 403), `__union__` or none: all of them.
    if (request.role && request.role !== '__union__' && !roles.includes(request.role)) throw forbiddenError();
    const acting = request.role && request.role !== '__union__' ? [request.role] : roles;
    const definitions = await this.acl.roles(acting, snapshot);
    return new Caller(
      user,
      roles,
      request,
      (caller, resource, action, rules) => allowed(definitions, caller, resource, action, rules),
      (caller, resource, action) => limits(definitions, caller, resource, action),
    );
  }

  /** Stops the workflows (consuming and subscriptions) and the collections' sync subscription. */
  async close(): Promise<void> {
    await this.workflows.close();
    await this.data.close();
    await this.acl.close();
  }
}

/**
 * The permission decision of a signed-in caller: root/admin, the system resources and resources with
 * their own rules (workflows…) by the fixed rules; collections by the acting roles' strategies and
 * configured collections (shared/acl). Scopes and field lists are applied by the record paths.
 */
function allowed(definitions: readonly RoleDefinition[], caller: Caller, resource: string, action: string, rules?: PermissionRules): boolean {
  const roles = caller.current;
  if (rules || roles.includes('root') || roles.includes('admin') || resource in SYSTEM_RULES) return can(roles, resource, action, rules);
  return resolvePermission(definitions, resource, action, aclUser(caller)).allowed;
}

/** The caller's scope and field limits on a collection: none for root, admin and the system resources. */
function limits(definitions: readonly RoleDefinition[], caller: Caller, resource: string, action: string): RecordLimits | null {
  const roles = caller.current;
  if (roles.includes('root') || roles.includes('admin') || resource in SYSTEM_RULES) return null;
  const p = resolvePermission(definitions, resource, action, aclUser(caller));
  return p.allowed && (p.filter || p.fields) ? { filter: p.filter, fields: p.fields } : null;
}

/** The caller as scopes see it (`{{$user.id}}`, `{{$user.email}}` …). */
const aclUser = (caller: Caller) => (caller.user ? { ...caller.user } : null);
