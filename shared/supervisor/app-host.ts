import { ensureRootUser } from '../auth/index.js';
import { migrateSchema } from '../db/index.js';
import { cbError, type Logger } from '../errors/index.js';
import type { AppRegistry } from '../apps/index.js';
import type { Database } from '../db/index.js';
import type { AppDatabase, AppRecord, AppRootUser, Command } from './types.js';
import { qualified, runSql } from '../sql/index.js';

type Log = Pick<Logger, 'info' | 'warn' | 'error'>;

/**
 * The apps one node hosts for its environment (a worker's, or the supervisor's own in shared-memory
 * mode): runs start/stop/destroy commands and answers the node's app guard.
 *
 * Requests for an app are served when this node started it, or when the registry says it runs on this
 * environment (another node of the same environment started it, or this node restarted): its schema is
 * migrated already, so its data opens on first use. Unknown apps get a 404, apps of other environments a
 * 403, assigned apps that are not running a 503.
 */
export class AppHost {
  private readonly started = new Set<string>();
  private known = new Map<string, AppRecord>();
  /** Stopped here while the registry may still say `running` (until the supervisor publishes the stop). */
  private readonly stopped = new Set<string>();

  constructor(
    private readonly apps: AppRegistry,
    readonly environment: string,
    private readonly log: Log,
    /** Reads one app from the registry, for requests about an app the local view does not serve yet. */
    private readonly lookup: ((app: string) => Promise<AppRecord | null>) | null = null,
  ) {}

  /** The node's app guard (AppRegistry.setGuard). */
  readonly guard = (app: string): void | Promise<void> => {
    if (this.started.has(app)) return;
    if (this.stopped.has(app)) throw cbError('CB_ERR_SUPERVISOR_APP_NOT_RUNNING', `App "${app}" is not running on environment "${this.environment}"`);
    const known = this.known.get(app) ?? null;
    const refusal = this.refusal(known, app);
    if (!refusal) return this.opened(app, known!);
    if (!this.lookup) throw refusal;
    // The view may be a moment old (an app created or started elsewhere): ask the registry once.
    return this.lookup(app).then((record) => {
      if (record) this.known.set(app, record);
      const still = this.refusal(record, app);
      if (still) throw still;
      return this.opened(app, record!);
    });
  };

  /** An app with a database of its own is served once this node has opened it (another node started it). */
  private opened(app: string, record: AppRecord): void | Promise<void> {
    if (record.database.kind !== 'database' || this.apps.hasDatabase(app)) return;
    return this.apps.openDatabase(app, record.database.name).then(() => undefined);
  }

  private refusal(record: AppRecord | null, app: string): Error | null {
    if (!record) return cbError('CB_ERR_SUPERVISOR_APP_NOT_FOUND', `App "${app}" not found`);
    if (!record.environments.includes(this.environment)) {
      return cbError('CB_ERR_SUPERVISOR_APP_NOT_HOSTED', `App "${app}" is not assigned to environment "${this.environment}"`);
    }
    if (record.statuses[this.environment]?.status === 'running') return null;
    return cbError('CB_ERR_SUPERVISOR_APP_NOT_RUNNING', `App "${app}" is not running on environment "${this.environment}"`);
  }

  /** Replaces the registry view (all apps, from the registry cache). */
  setKnown(apps: readonly AppRecord[]): void {
    this.known = new Map(apps.map((a) => [a.name, a]));
    for (const app of this.stopped) {
      if (this.known.get(app)?.statuses[this.environment]?.status !== 'running') this.stopped.delete(app);
    }
    // Background processors on every node of the environment follow the registry: an app another node
    // started is processed here too; one no longer running here (and not being started here) is dropped.
    for (const record of apps) {
      const running = record.environments.includes(this.environment) && record.statuses[this.environment]?.status === 'running';
      if (running && !this.stopped.has(record.name)) this.apps.markRunning(record.name);
      else if (!this.started.has(record.name)) this.apps.markStopped(record.name);
    }
  }

  hosted(): string[] {
    return [...this.started];
  }

  /**
   * Runs a command. `assigned` is the registry's current record of the app (null: unknown): a command
   * for an app not assigned to this environment is refused, whatever the command itself claims.
   */
  async execute(command: Command, assigned: AppRecord | null): Promise<void> {
    const record = assigned ?? (command.type === 'start' ? null : command.config);
    if (!record || !record.environments.includes(this.environment)) {
      throw cbError('CB_ERR_SUPERVISOR_COMMAND_REFUSED', `App "${command.app}" is not assigned to environment "${this.environment}": ${command.type} refused`);
    }
    switch (command.type) {
      case 'start':
        return this.start(command.app, record.database, command.rootUser ?? null);
      case 'stop':
        return this.stop(command.app);
      case 'destroy':
        await this.stop(command.app);
        if (command.dropData) await this.dropSchema(command.app, record.database);
        this.known.delete(command.app);
        return;
    }
  }

  /**
   * Creates and migrates the app's schema (in its own database when it has one, created when missing),
   * its root user (its own, from applications:create, at the first start only) and collections, then
   * serves it. A resumed app (no `rootUser`) keeps the root user it has.
   */
  async start(app: string, location: AppDatabase, rootUser: AppRootUser | null = null): Promise<void> {
    const schema = location.schema;
    this.started.add(app);
    this.stopped.delete(app);
    try {
      const database = location.kind === 'database' ? await this.apps.openDatabase(app, location.name) : this.apps.node.database;
      const report = await migrateSchema(database.orm, schema);
      if (report.applied.length > 0) this.log.info(`app ${app}: migrated schema "${schema}" (${report.applied.join(', ')})`);
      if (rootUser) await ensureRootUser(database.fork(schema), schema, { ...rootUser, ids: this.apps.node.cluster.ids, log: this.log, defaultsUsed: false });
      await this.apps.open(app);
      this.apps.markRunning(app);
      this.log.info(`app ${app} running on environment ${this.environment}`);
    } catch (err) {
      this.started.delete(app);
      await this.apps.stop(app);
      throw err;
    }
  }

  async stop(app: string): Promise<void> {
    this.started.delete(app);
    this.stopped.add(app);
    await this.apps.stop(app);
    this.log.info(`app ${app} stopped on environment ${this.environment}`);
  }

  /** The node is stopping: closes what it opened (the registry's statuses stay as they are). */
  async stopAll(): Promise<void> {
    this.started.clear();
    await this.apps.stopAll();
  }

  /**
   * Drops every table of the app's schema and empties its migration log, so the next start migrates it
   * afresh. The schema itself stays: MikroORM's migrator remembers per process that its log table
   * exists, and every node of every environment would have to forget that.
   */
  private async dropSchema(app: string, location: AppDatabase): Promise<void> {
    const schema = location.schema;
    if (location.kind === 'schema' && schema === this.apps.node.config.db.schema) throw cbError('CB_ERR_SUPERVISOR_COMMAND_REFUSED', `refusing to drop the data of the main schema "${schema}"`);
    const database = location.kind === 'database' ? await this.apps.openDatabase(app, location.name) : this.apps.node.database;
    try {
      await this.dropTables(database, schema);
    } finally {
      if (location.kind === 'database') await this.apps.closeDatabase(app);
    }
    this.log.warn(`dropped the data of schema "${schema}"${location.kind === 'database' ? ` in database "${location.name}"` : ''}`);
  }

  private async dropTables(database: Database, schema: string): Promise<void> {
    await database.fork().transactional(async (em) => {
      const tables = await runSql<{ tablename: string }>(em, "select tablename from pg_tables where schemaname = ? and tablename <> 'cb_migrations'", [schema]);
      for (const t of tables.rows) await runSql(em, `drop table if exists ${qualified(schema, t.tablename)} cascade`);
      await runSql(em, `delete from ${qualified(schema, 'cb_migrations')}`).catch(() => undefined);
    });
  }
}
