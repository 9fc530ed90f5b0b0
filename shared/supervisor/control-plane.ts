import { randomUUID } from 'node:crypto';
import { cbError, type Logger } from '../errors/index.js';
import { appRootUser, type CreatedRootUser } from './app-root-user.js';
import { isAvailable } from './availability.js';
import type { RegistryStore } from './registry-store.js';
import type { AppDatabase, AppRecord, CommandBus, CommandOutcome, EnvironmentInfo, EnvironmentView, RegistryCache } from './types.js';

type Log = Pick<Logger, 'info' | 'warn' | 'error'>;

/** App names: as the gateway's X-App header accepts them; `main` is the supervisor's own app. */
export const APP_NAME = /^[a-z][a-z0-9_]{0,62}$/;

export interface ControlPlaneOptions {
  readonly store: RegistryStore;
  readonly cache: RegistryCache;
  readonly bus: CommandBus;
  /** Serialises start/stop/destroy of one app across supervisor nodes. */
  readonly lock: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  readonly ackTimeoutMs: number;
  readonly timeoutMs: number;
  readonly graceMs: number;
  /** Shared-memory mode: the supervisor's own process is the only environment, always available. */
  readonly localEnvironment: (() => EnvironmentInfo) | null;
  /** The PostgreSQL schema an app gets by default. */
  readonly schemaOf: (app: string) => string;
  readonly log: Log;
}

export interface CreateAppInput {
  readonly name?: unknown;
  readonly displayName?: unknown;
  readonly environments?: unknown;
  readonly database?: unknown;
  /** Start right after creating (default true, as NocoBase's app supervisor does). */
  readonly start?: unknown;
  /** `{email?, username?, password?}`: the app's own root user; a password is generated when absent. */
  readonly rootUser?: unknown;
}

/** applications:create's answer: the app, and its root user (with the password only when generated). */
export type CreatedApp = AppRecord & { readonly rootUser: CreatedRootUser };

/** Where the proxy sends a request for an app: the environment and its base URL. */
export interface RouteTarget {
  readonly environment: string;
  readonly url: string;
}

/**
 * The supervisor's control plane: apps and environments (persisted in its database, cached in Redis
 * for workers and for the proxy), commands to environments with their outcomes recorded, sequential
 * start across an app's environments, stop on all of them.
 */
export class ControlPlane {
  /** What the proxy reads on every request, refreshed on every change and every tick. */
  private snapshot: { apps: Map<string, AppRecord>; envs: Map<string, EnvironmentView> } = { apps: new Map(), envs: new Map() };
  private readonly listeners: Array<(apps: AppRecord[]) => void> = [];
  private readonly persisted = new Map<string, number>();

  constructor(private readonly o: ControlPlaneOptions) {}

  /** Called with every app list the control plane learns (shared-memory mode feeds its app host). */
  onApps(listener: (apps: AppRecord[]) => void): void {
    this.listeners.push(listener);
  }

  /** Reloads apps from the database into the cache and the snapshot; persists heartbeats seen in Redis. */
  async refresh(): Promise<void> {
    const apps = await this.o.store.apps();
    const envs = await this.environments();
    for (const env of envs) {
      // Persisted when a new heartbeat arrived, not on every refresh.
      if (this.o.localEnvironment || this.persisted.get(env.name) === env.lastHeartbeat || env.heartbeatMs === 0) continue;
      await this.o.store.upsertEnvironment(env);
      this.persisted.set(env.name, env.lastHeartbeat);
    }
    this.snapshot = { apps: new Map(apps.map((a) => [a.name, a])), envs: new Map(envs.map((e) => [e.name, e])) };
    for (const l of this.listeners) l(apps);
  }

  /** Writes every app into the cache (at start: Redis may have been flushed). */
  async publishAll(): Promise<void> {
    for (const app of await this.o.store.apps()) await this.o.cache.putApp(app);
    await this.refresh();
  }

  async environments(): Promise<EnvironmentView[]> {
    if (this.o.localEnvironment) return [{ ...this.o.localEnvironment(), available: true }];
    const byName = new Map<string, EnvironmentInfo>();
    const stored = await this.o.store.environments().catch(() => []);
    for (const e of stored) byName.set(e.name, { ...e, heartbeatMs: 0 });
    // The cache holds the live heartbeats; the database remembers environments Redis has forgotten.
    for (const e of await this.o.cache.environments()) byName.set(e.name, e);
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)).map((e) => ({ ...e, available: isAvailable(e, this.o.graceMs) }));
  }

  async environment(name: string): Promise<EnvironmentView> {
    const env = (await this.environments()).find((e) => e.name === name);
    if (!env) throw cbError('CB_ERR_SUPERVISOR_UNKNOWN_ENVIRONMENT', `Unknown environment "${String(name).slice(0, 64)}"`);
    return env;
  }

  async apps(): Promise<AppRecord[]> {
    return this.o.store.apps();
  }

  async app(name: string): Promise<AppRecord> {
    const [app] = typeof name === 'string' ? await this.o.store.apps(name) : [];
    if (!app) throw cbError('CB_ERR_SUPERVISOR_APP_NOT_FOUND', `App "${String(name).slice(0, 64)}" not found`);
    return app;
  }

  async commands(name: string): Promise<Array<Record<string, unknown>>> {
    await this.app(name);
    return this.o.store.commands(name);
  }

  async create(input: CreateAppInput): Promise<CreatedApp> {
    const name = input.name;
    if (typeof name !== 'string' || !APP_NAME.test(name) || name === 'main') {
      throw cbError('CB_ERR_VALIDATION', 'name must be lower-case letters, digits and "_", start with a letter, at most 63 characters, and not "main"');
    }
    const displayName = input.displayName === undefined ? name : input.displayName;
    if (typeof displayName !== 'string' || displayName.length > 200) throw cbError('CB_ERR_VALIDATION', 'displayName must be a string of at most 200 characters');
    const known = await this.environments();
    let environments: string[];
    if (this.o.localEnvironment) {
      environments = [known[0]!.name];
    } else {
      const asked = typeof input.environments === 'string' ? [input.environments] : input.environments;
      if (!Array.isArray(asked) || asked.length === 0 || !asked.every((e) => typeof e === 'string')) {
        throw cbError('CB_ERR_VALIDATION', 'environments must list one or more environment names');
      }
      environments = [...new Set(asked as string[])];
      const unknown = environments.filter((e) => !known.some((k) => k.name === e));
      if (unknown.length > 0) {
        throw cbError('CB_ERR_SUPERVISOR_UNKNOWN_ENVIRONMENT', `Unknown environment "${unknown[0]!.slice(0, 64)}" (registered: ${known.map((k) => k.name).join(', ') || 'none'})`);
      }
    }
    const root = await appRootUser(input.rootUser);
    await this.o.store.insertApp({ name, displayName, database: appDatabase(input.database, name, this.o.schemaOf(name)), environments }, root.stored);
    await this.publish(name);
    this.o.log.info(`app ${name} created on ${environments.join(', ')}`);
    const app = input.start === false || input.start === 'false' ? await this.app(name) : await this.start(name);
    return { ...app, rootUser: root.answer };
  }

  /**
   * Starts the app on its environments one after another: each must report `running` before the next
   * begins (starting writes initialization data). The first failure ends the sequence with the
   * environment and the reason; later environments are left as they were.
   */
  async start(name: string): Promise<AppRecord> {
    return this.o.lock(`supervisor:app:${name}`, async () => {
      const app = await this.app(name);
      await this.o.store.setDesired(name, 'running');
      const envs = new Map((await this.environments()).map((e) => [e.name, e]));
      for (const environment of app.environments) {
        const env = envs.get(environment);
        if (!env?.available) {
          await this.fail(name, environment, env ? 'the environment is unavailable (no recent heartbeat)' : 'the environment is not registered');
        }
        await this.o.store.setStatus(name, environment, 'preparing', null, 'started');
        await this.publish(name);
        const outcome = await this.send(environment, app, 'start', false, () => this.o.store.setStatus(name, environment, 'initializing', null));
        if (outcome.status !== 'succeeded') await this.fail(name, environment, outcome.error ?? outcome.status);
        await this.o.store.setStatus(name, environment, 'running', null, 'finished');
        await this.publish(name);
      }
      this.o.log.info(`app ${name} running on ${app.environments.join(', ')}`);
      return this.app(name);
    });
  }

  /** Stops the app on all its environments (at once); failures are recorded and reported together. */
  async stop(name: string): Promise<AppRecord> {
    return this.o.lock(`supervisor:app:${name}`, async () => {
      const app = await this.app(name);
      await this.o.store.setDesired(name, 'stopped');
      const failures = await this.onAll(app, 'stop', false);
      await this.publish(name);
      if (failures.length > 0) throw cbError('CB_ERR_SUPERVISOR_STOP_FAILED', `App "${name}" did not stop on ${failures.join('; ')}`, { app: name, failures });
      return this.app(name);
    });
  }

  /** Stops the app everywhere and forgets it; its schema is dropped only when asked (`dropData`). */
  async destroy(name: string, dropData: boolean): Promise<{ name: string; dataDropped: boolean }> {
    return this.o.lock(`supervisor:app:${name}`, async () => {
      const app = await this.app(name);
      const failures = await this.onAll(app, 'destroy', dropData);
      if (failures.length > 0 && dropData) {
        await this.publish(name);
        throw cbError('CB_ERR_SUPERVISOR_STOP_FAILED', `App "${name}" was not removed: ${failures.join('; ')}`, { app: name, failures });
      }
      await this.o.store.deleteApp(name);
      await this.o.cache.deleteApp(name);
      await this.refresh();
      this.o.log.info(`app ${name} removed${dropData ? ' with its data' : ' (data kept)'}`);
      return { name, dataDropped: dropData };
    });
  }

  /**
   * Where the proxy sends a request for `app` (synchronous: it reads the snapshot). Unknown app → 404;
   * several environments and none picked → 400 listing them; no available (running) one → 503.
   */
  route(app: string, picked: string | undefined): RouteTarget {
    const record = this.snapshot.apps.get(app);
    if (!record) throw cbError('CB_ERR_SUPERVISOR_APP_NOT_FOUND', `App "${app.slice(0, 64)}" not found`);
    let candidates = record.environments;
    if (picked !== undefined && picked !== '') {
      if (!candidates.includes(picked)) {
        throw cbError('CB_ERR_SUPERVISOR_UNKNOWN_ENVIRONMENT', `App "${app}" does not run on environment "${picked.slice(0, 64)}" (its environments: ${candidates.join(', ')})`);
      }
      candidates = [picked];
    } else if (candidates.length > 1) {
      throw cbError(
        'CB_ERR_SUPERVISOR_PICK_ENVIRONMENT',
        `App "${app}" runs on several environments (${candidates.join(', ')}): pick one with ?environment=<name> or the X-Environment header`,
        { environments: candidates },
      );
    }
    const environment = candidates[0]!;
    const env = this.snapshot.envs.get(environment);
    // Availability is re-judged now from the last heartbeat seen, so a stale snapshot errs towards 503.
    if (!env || (!this.o.localEnvironment && !isAvailable(env, this.o.graceMs))) throw cbError('CB_ERR_SUPERVISOR_NO_ENVIRONMENT', `App "${app}" has no available environment: "${environment}" is unavailable`);
    if (record.statuses[environment]?.status !== 'running') {
      throw cbError('CB_ERR_SUPERVISOR_APP_NOT_RUNNING', `App "${app}" is not running on environment "${environment}" (${record.statuses[environment]?.status ?? 'not_found'})`);
    }
    return { environment, url: env.proxyUrl ?? env.url };
  }

  private async fail(app: string, environment: string, reason: string): Promise<never> {
    await this.o.store.setStatus(app, environment, 'error', reason, 'finished');
    await this.publish(app);
    this.o.log.error(`app ${app}: start failed on environment ${environment}: ${reason}`);
    throw cbError('CB_ERR_SUPERVISOR_START_FAILED', `App "${app}" failed to start on environment "${environment}": ${reason}`, { app, environment, reason });
  }

  private async onAll(app: AppRecord, type: 'stop' | 'destroy', dropData: boolean): Promise<string[]> {
    const envs = new Map((await this.environments()).map((e) => [e.name, e]));
    const results = await Promise.all(
      app.environments.map(async (environment) => {
        // A destroy with data drop runs on one environment only: they share the app's schema.
        const drop = dropData && environment === app.environments[0];
        if (!envs.get(environment)?.available) {
          await this.o.store.setStatus(app.name, environment, 'stopped', 'environment unavailable: stopped in the registry only');
          return type === 'destroy' && drop ? `${environment}: unavailable` : null;
        }
        const outcome = await this.send(environment, app, type, drop);
        if (outcome.status === 'succeeded') {
          await this.o.store.setStatus(app.name, environment, 'stopped', null);
          return null;
        }
        await this.o.store.setStatus(app.name, environment, 'error', outcome.error);
        return `${environment}: ${outcome.error ?? outcome.status}`;
      }),
    );
    return results.filter((r): r is string => r !== null);
  }

  private async send(environment: string, app: AppRecord, type: 'start' | 'stop' | 'destroy', dropData: boolean, onAck?: () => Promise<void>): Promise<CommandOutcome> {
    const id = randomUUID();
    await this.o.store.recordCommand(id, app.name, environment, type);
    const command = {
      id,
      type,
      app: app.name,
      config: { name: app.name, displayName: app.displayName, database: app.database, environments: app.environments },
      dropData,
      rootUser: type === 'start' ? await this.o.store.rootUser(app.name) : null,
      ackBy: Date.now() + this.o.ackTimeoutMs,
    };
    let acked: Promise<void> = Promise.resolve();
    const outcome = await this.o.bus.send(environment, command, {
      ackTimeoutMs: this.o.ackTimeoutMs,
      timeoutMs: this.o.timeoutMs,
      onAck: () => {
        acked = Promise.all([this.o.store.commandAcknowledged(id), onAck?.()]).then(() => undefined);
      },
    });
    await acked.catch((err: Error) => this.o.log.warn(`command ${id}: recording the acknowledgement failed: ${err.message}`));
    await this.o.store.commandFinished(outcome);
    return outcome;
  }

  private async publish(name: string): Promise<void> {
    const [app] = await this.o.store.apps(name);
    if (app) await this.o.cache.putApp(app);
    await this.refresh();
  }
}

const DATABASE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** PostgreSQL's own databases: an app in them would change every new database (templates) or the server's maintenance database. */
const SYSTEM_DATABASES = new Set(['template0', 'template1', 'postgres']);

/**
 * `database` of applications:create: absent or `{kind: "schema"}` (the default: an own schema), or
 * `{kind: "database", name?}` (an own database on each environment's server, `cb_app_<app>` by default).
 */
function appDatabase(input: unknown, app: string, schema: string): AppDatabase {
  if (input === undefined || input === null) return { kind: 'schema', schema };
  const kind = typeof input === 'object' ? (input as { kind?: unknown }).kind : undefined;
  if (kind === 'schema') return { kind: 'schema', schema };
  if (kind === 'database') {
    const name = (input as { name?: unknown }).name ?? `cb_app_${app}`;
    if (typeof name !== 'string' || !DATABASE_NAME.test(name)) {
      throw cbError('CB_ERR_VALIDATION', 'database.name must be 1-63 lowercase letters, digits or underscores, starting with a letter');
    }
    if (SYSTEM_DATABASES.has(name) || name.startsWith('pg_')) throw cbError('CB_ERR_VALIDATION', `database.name "${name}" is a PostgreSQL system database`);
    return { kind: 'database', name, schema };
  }
  throw cbError('CB_ERR_VALIDATION', 'database must be {"kind":"schema"} (an own PostgreSQL schema, the default) or {"kind":"database","name":"..."} (an own database)');
}
