import type { FastifyInstance } from 'fastify';
import type { ServiceBroker } from 'moleculer';
import { cbError } from '../errors/index.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { serving } from '../worker-mode/index.js';
import type { NodeServices } from './node-services.js';
import type { ReadinessCheck } from './types.js';

/**
 * What one broker node knows about itself: its config, its database, whether it is draining, and
 * the readiness checks its parts registered. One per broker, reached with `nodeState(broker)`.
 */
/** A background processor following the sub-applications hosted on its environment. */
export interface HostedAppsListener {
  started(app: string): void | Promise<void>;
  stopped(app: string): void | Promise<void>;
  /** A listener call failed (logged by the listener's owner). */
  onError?(err: unknown, app: string): void;
}

export class NodeState {
  readonly config: Config;
  /** Set by the runtime when the node has started (database, keys, adapters), cleared when it stops. */
  private current: NodeServices | null = null;
  /** Set when a stop began: readiness answers 503 from then on, new HTTP requests too. */
  draining = false;
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly drainers: Array<() => Promise<void>> = [];
  private readonly metricRefreshers: Array<() => Promise<void>> = [];
  private readonly metricTexts: Array<() => string> = [];
  private readonly httpRoutes: Array<(server: FastifyInstance) => void | Promise<void>> = [];
  /** Decides whether this node serves a sub-application (issue 7); unset: only `main` exists. */
  private appGuard: ((app: string) => void | Promise<void>) | null = null;
  private readonly hosted = new Set<string>();
  /** Sub-applications kept in a database of their own: opened pools, and opens in progress. */
  private readonly appDatabases = new Map<string, Database>();
  private readonly appDatabaseOpens = new Map<string, Promise<Database>>();
  private readonly hostedListeners: HostedAppsListener[] = [];

  constructor(config: Config) {
    this.config = config;
  }

  /** The started node's database, keys and cluster adapters; a 503 (CB_ERR_NODE_NOT_STARTED) before start or after stop. */
  services(): NodeServices {
    if (!this.current) throw cbError('CB_ERR_NODE_NOT_STARTED');
    return this.current;
  }

  /** Whether the node's services exist (the database and adapters are connected). */
  get started(): boolean {
    return this.current !== null;
  }

  /** @internal The runtime middleware's: the node started (`services`) or stopped (null). */
  setServices(services: NodeServices | null): void {
    this.current = services;
  }

  /** The PostgreSQL schema of an app: DB_SCHEMA for `main`, `app_<name>` for sub-applications. */
  schemaOf(app: string | undefined): string {
    return !app || app === 'main' ? this.config.db.schema : `app_${app}`;
  }

  /**
   * Refuses (throws the error to answer) an app this node does not host. `main` never asks the guard,
   * so its hot path stays one string comparison.
   */
  assertHosts(app: string): void | Promise<void> {
    if (app === 'main') return;
    if (!this.appGuard) throw cbError('CB_ERR_HTTP_NOT_FOUND', `App "${app}" not found`);
    return this.appGuard(app);
  }

  /**
   * Set by the part that assigns sub-applications to this node (supervisor or app host). The guard
   * returns nothing when the app is served, throws the refusal, or returns a promise when it must look
   * the app up first (then the caller asks again once it settles).
   */
  setAppGuard(guard: ((app: string) => void | Promise<void>) | null): void {
    this.appGuard = guard;
  }

  /**
   * Registers routes on the API gateway's fastify instance. Collected in services' `created()`, applied
   * by the api service after the gateway is built and before it listens.
   */
  addHttpRoutes(register: (server: FastifyInstance) => void | Promise<void>): void {
    this.httpRoutes.push(register);
  }

  async applyHttpRoutes(server: FastifyInstance): Promise<void> {
    for (const register of this.httpRoutes) await register(server);
  }

  /** The database holding an app's data: its own when it has one open here, else the node's. */
  databaseOf(app: string | undefined): Database {
    return (app && app !== 'main' ? this.appDatabases.get(app) : undefined) ?? this.services().database;
  }

  /** The database holding a schema's data (background work that knows the schema, not the app). */
  databaseOfSchema(schema: string): Database {
    for (const [app, db] of this.appDatabases) if (this.schemaOf(app) === schema) return db;
    return this.services().database;
  }

  hasAppDatabase(app: string): boolean {
    return this.appDatabases.has(app);
  }

  /** Opens (once) the database `name` of app `app` on the node's PostgreSQL server, creating it when missing. */
  openAppDatabase(app: string, name: string): Promise<Database> {
    const open = this.appDatabases.get(app);
    if (open) return Promise.resolve(open);
    let pending = this.appDatabaseOpens.get(app);
    if (!pending) {
      let main: Database;
      try {
        main = this.services().database;
      } catch (err) {
        return Promise.reject(err);
      }
      pending = main.openSibling(name).then(
        (db) => {
          this.appDatabases.set(app, db);
          this.appDatabaseOpens.delete(app);
          return db;
        },
        (err: unknown) => {
          this.appDatabaseOpens.delete(app);
          throw err;
        },
      );
      this.appDatabaseOpens.set(app, pending);
    }
    return pending;
  }

  async closeAppDatabase(app: string): Promise<void> {
    const db = this.appDatabases.get(app);
    this.appDatabases.delete(app);
    await db?.close();
  }

  async closeAppDatabases(): Promise<void> {
    await Promise.all([...this.appDatabases.keys()].map((app) => this.closeAppDatabase(app)));
  }

  /**
   * Sub-applications running on this node's environment, for background processors: each listener is
   * told about every app already running when it registers, then about each start and stop (the app
   * host reports them: apps it started, and apps the registry says run on its environment).
   */
  onHostedApps(listener: HostedAppsListener): void {
    this.hostedListeners.push(listener);
    for (const app of this.hosted) void this.notify(listener, 'started', app);
  }

  markAppStarted(app: string): void {
    if (this.hosted.has(app)) return;
    this.hosted.add(app);
    for (const listener of this.hostedListeners) void this.notify(listener, 'started', app);
  }

  markAppStopped(app: string): void {
    if (!this.hosted.delete(app)) return;
    for (const listener of this.hostedListeners) void this.notify(listener, 'stopped', app);
  }

  private async notify(listener: HostedAppsListener, event: 'started' | 'stopped', app: string): Promise<void> {
    try {
      await listener[event](app);
    } catch (err) {
      listener.onError?.(err, app);
    }
  }

  /** Does this node serve `key` (a processor key, or `!` for requests)? */
  serving(key: string): boolean {
    return serving(this.config.workerMode, key);
  }

  addCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  removeCheck(name: string): void {
    this.checks.delete(name);
  }

  readinessChecks(): ReadonlyMap<string, ReadinessCheck> {
    return this.checks;
  }

  /** Registers a refresh run before /metrics renders (gauges read from a broker, e.g. queue depth). */
  onMetrics(refresh: () => Promise<void>): void {
    this.metricRefreshers.push(refresh);
  }

  async refreshMetrics(): Promise<void> {
    await Promise.allSettled(this.metricRefreshers.map((r) => r()));
  }

  /** Adds metrics kept outside Moleculer's registry (already in Prometheus text) to /metrics. */
  addMetricsText(render: () => string): void {
    this.metricTexts.push(render);
  }

  metricsText(): string {
    return this.metricTexts.map((r) => r()).join('');
  }

  /**
   * Registers work to finish before any service stops, e.g. the gateway closing its port and
   * letting in-flight requests complete while the services they call are still up.
   */
  onDrain(drain: () => Promise<void>): void {
    this.drainers.push(drain);
  }

  /** Runs the drain hooks, bounded by SHUTDOWN_TIMEOUT. */
  async drain(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.config.shutdown.timeoutMs);
    });
    await Promise.race([Promise.allSettled(this.drainers.map((d) => d())), limit]);
    clearTimeout(timer);
  }
}

const states = new WeakMap<ServiceBroker, NodeState>();

export function attachNodeState(broker: ServiceBroker, state: NodeState): void {
  states.set(broker, state);
}

/** The state of the node `broker` runs on; throws when the broker was not built by clusterbase's config. */
export function nodeState(broker: ServiceBroker): NodeState {
  const state = states.get(broker);
  if (!state) throw new Error('this broker was not created from moleculer.config.ts (no clusterbase node state)');
  return state;
}
