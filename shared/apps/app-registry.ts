import type { Database } from '../db/index.js';
import { cbError } from '../errors/index.js';
import { AppContext } from './app-context.js';
import type { AppGuard, AppLog, AppNode, AppsListener } from './types.js';

/**
 * The apps of one node, created once the node has started: opens each app once (`get`), closes it
 * (`stop`), keeps the databases of apps that have one of their own, asks the guard whether a
 * sub-application is served here, and tells background processors which apps run on this node's
 * environment (started/stopped events).
 */
export class AppRegistry {
  private readonly contexts = new Map<string, Promise<AppContext>>();
  private readonly databases = new Map<string, Database>();
  private readonly databaseOpens = new Map<string, Promise<Database>>();
  private guard: AppGuard | null = null;
  private readonly running = new Set<string>();
  private readonly listeners: AppsListener[] = [];

  constructor(
    readonly node: AppNode,
    private readonly log: AppLog,
  ) {}

  /** The PostgreSQL schema of an app: DB_SCHEMA for `main`, `app_<name>` for sub-applications. */
  schemaOf(app: string | undefined): string {
    return !app || app === 'main' ? this.node.config.db.schema : `app_${app}`;
  }

  /**
   * Set by the part that assigns sub-applications to this node (supervisor or app host); unset, only
   * `main` exists. `main` never asks the guard, so its hot path stays one string comparison.
   */
  setGuard(guard: AppGuard | null): void {
    this.guard = guard;
  }

  /** Resolves when this node serves `app`; rejects with the refusal to answer (404/403/503). */
  async assertServed(app: string): Promise<void> {
    if (app === 'main') return;
    for (;;) {
      if (!this.guard) throw cbError('CB_ERR_HTTP_NOT_FOUND', `App "${app}" not found`);
      const pending = this.guard(app);
      if (!pending) return;
      // The guard had to look the app up (or open its database): ask again once that settles.
      await pending;
    }
  }

  /** The app, opened on first use (after the guard said this node serves it). */
  async get(app: string): Promise<AppContext> {
    await this.assertServed(app);
    return this.open(app);
  }

  /** Opens (once) an app this node was told to serve, without asking the guard (the app host starting it). */
  open(app: string): Promise<AppContext> {
    let context = this.contexts.get(app);
    if (!context) {
      context = AppContext.open({ name: app, schema: this.schemaOf(app), database: this.databaseOf(app), node: this.node, log: this.log });
      context.catch(() => {
        if (this.contexts.get(app) === context) this.contexts.delete(app);
      });
      this.contexts.set(app, context);
    }
    return context;
  }

  /**
   * Tears an app down on this node: processors are told it stopped, its context closes (workflows,
   * collections), and its own database's pool closes. The next `get` opens it afresh.
   */
  async stop(app: string): Promise<void> {
    this.markStopped(app);
    const context = this.contexts.get(app);
    this.contexts.delete(app);
    await context?.then((c) => c.close()).catch(() => undefined);
    await this.closeDatabase(app);
  }

  /** The node stops: every app it opened is torn down (the main app's context is left to the adapters). */
  async stopAll(): Promise<void> {
    for (const app of [...this.contexts.keys()]) if (app !== 'main') await this.stop(app);
    await Promise.all([...this.databases.keys()].map((app) => this.closeDatabase(app)));
  }

  /** The database holding an app's data: its own when it has one open here, else the node's. */
  databaseOf(app: string | undefined): Database {
    return (app && app !== 'main' ? this.databases.get(app) : undefined) ?? this.node.database;
  }

  /** The database holding a schema's data (background work that knows the schema, not the app). */
  databaseOfSchema(schema: string): Database {
    for (const [app, db] of this.databases) if (this.schemaOf(app) === schema) return db;
    return this.node.database;
  }

  hasDatabase(app: string): boolean {
    return this.databases.has(app);
  }

  /** Opens (once) the database `name` of app `app` on the node's PostgreSQL server, creating it when missing. */
  openDatabase(app: string, name: string): Promise<Database> {
    const open = this.databases.get(app);
    if (open) return Promise.resolve(open);
    let pending = this.databaseOpens.get(app);
    if (!pending) {
      pending = this.node.database.openSibling(name).then(
        (db) => {
          this.databases.set(app, db);
          this.databaseOpens.delete(app);
          return db;
        },
        (err: unknown) => {
          this.databaseOpens.delete(app);
          throw err;
        },
      );
      this.databaseOpens.set(app, pending);
    }
    return pending;
  }

  async closeDatabase(app: string): Promise<void> {
    const db = this.databases.get(app);
    this.databases.delete(app);
    await db?.close();
  }

  /**
   * Sub-applications running on this node's environment, for background processors: each listener is
   * told about every app already running when it registers, then about each start and stop.
   */
  onApps(listener: AppsListener): void {
    this.listeners.push(listener);
    for (const app of this.running) void this.notify(listener, 'started', app);
  }

  /** An app runs on this environment (started here, or on another node of it). */
  markRunning(app: string): void {
    if (this.running.has(app)) return;
    this.running.add(app);
    for (const listener of this.listeners) void this.notify(listener, 'started', app);
  }

  markStopped(app: string): void {
    if (!this.running.delete(app)) return;
    for (const listener of this.listeners) void this.notify(listener, 'stopped', app);
  }

  private async notify(listener: AppsListener, event: 'started' | 'stopped', app: string): Promise<void> {
    try {
      await listener[event](app);
    } catch (err) {
      listener.onError?.(err, app);
    }
  }
}
