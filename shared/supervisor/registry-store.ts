import type { EntityManager } from '@mikro-orm/postgresql';
import { cbError } from '../errors/index.js';
import type { AppDatabase, AppEnvironmentState, AppRootUser, AppRecord, AppStatus, CommandOutcome, EnvironmentInfo } from './types.js';
import { qualified, runSql } from '../sql/index.js';

type AppRow = { name: string; display_name: string; database: AppDatabase; environments: string[]; desired: 'running' | 'stopped'; created_at: Date; updated_at: Date };
type StateRow = { app: string; environment: string; status: AppStatus; error: string | null; started_at: Date | null; finished_at: Date | null };
type EnvRow = { name: string; version: string; url: string; proxy_url: string | null; last_heartbeat_at: Date };

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** The supervisor's apps, environments and command log in its own schema (migration 0006). */
export class RegistryStore {
  private readonly t: { apps: string; states: string; envs: string; commands: string };

  constructor(
    private readonly fork: () => EntityManager,
    schema: string,
  ) {
    this.t = {
      apps: qualified(schema, 'cb_supervisor_apps'),
      states: qualified(schema, 'cb_supervisor_app_environments'),
      envs: qualified(schema, 'cb_supervisor_environments'),
      commands: qualified(schema, 'cb_supervisor_commands'),
    };
  }

  async insertApp(app: Pick<AppRecord, 'name' | 'displayName' | 'database' | 'environments'>, rootUser: AppRootUser): Promise<void> {
    const em = this.fork();
    await em.transactional(async (tx) => {
      const inserted = await runSql(
        tx,
        `insert into ${this.t.apps} (name, display_name, database, environments, root_user) values (?, ?, ?::jsonb, ?, ?::jsonb) on conflict (name) do nothing`,
        [app.name, app.displayName, JSON.stringify(app.database), app.environments, JSON.stringify(rootUser)],
      );
      if (inserted.affected === 0) throw cbError('CB_ERR_SUPERVISOR_APP_EXISTS', `An app named "${app.name}" already exists`);
      for (const env of app.environments) {
        await runSql(tx, `insert into ${this.t.states} (app, environment, status) values (?, ?, 'stopped')`, [app.name, env]);
      }
    });
  }

  async apps(name?: string): Promise<AppRecord[]> {
    const em = this.fork();
    const where = name === undefined ? '' : ' where name = ?';
    const params = name === undefined ? [] : [name];
    const apps = (await runSql<AppRow>(em, `select * from ${this.t.apps}${where} order by created_at, name`, params)).rows;
    const states = (await runSql<StateRow>(em, `select * from ${this.t.states}${name === undefined ? '' : ' where app = ?'}`, params)).rows;
    return apps.map((a) => {
      const statuses: Record<string, AppEnvironmentState> = {};
      for (const s of states.filter((s) => s.app === a.name)) {
        statuses[s.environment] = { status: s.status, error: s.error, startedAt: iso(s.started_at), finishedAt: iso(s.finished_at) };
      }
      return {
        name: a.name,
        displayName: a.display_name,
        database: a.database,
        environments: a.environments,
        desired: a.desired,
        statuses,
        createdAt: iso(a.created_at)!,
        updatedAt: iso(a.updated_at)!,
      };
    });
  }

  /** The app's own root user (null for an app created before migration 0010). */
  async rootUser(app: string): Promise<AppRootUser | null> {
    const rows = (await runSql<{ root_user: AppRootUser | null }>(this.fork(), `select root_user from ${this.t.apps} where name = ?`, [app])).rows;
    return rows[0]?.root_user ?? null;
  }

  async setDesired(app: string, desired: 'running' | 'stopped'): Promise<void> {
    await runSql(this.fork(), `update ${this.t.apps} set desired = ?, updated_at = now() where name = ?`, [desired, app]);
  }

  /** Sets an app's status on one environment; `started`/`finished` stamp the start sequence. */
  async setStatus(app: string, environment: string, status: AppStatus, error: string | null, stamp?: 'started' | 'finished'): Promise<void> {
    const extra = stamp === 'started' ? ', started_at = clock_timestamp(), finished_at = null' : stamp === 'finished' ? ', finished_at = clock_timestamp()' : '';
    await runSql(this.fork(), `update ${this.t.states} set status = ?, error = ?, updated_at = now()${extra} where app = ? and environment = ?`, [status, error, app, environment]);
  }

  async deleteApp(app: string): Promise<boolean> {
    return (await runSql(this.fork(), `delete from ${this.t.apps} where name = ?`, [app])).affected > 0;
  }

  async upsertEnvironment(env: EnvironmentInfo): Promise<void> {
    await runSql(
      this.fork(),
      `insert into ${this.t.envs} (name, version, url, proxy_url, last_heartbeat_at) values (?, ?, ?, ?, to_timestamp(? / 1000.0))
       on conflict (name) do update set version = excluded.version, url = excluded.url, proxy_url = excluded.proxy_url, last_heartbeat_at = excluded.last_heartbeat_at`,
      [env.name, env.version, env.url, env.proxyUrl, env.lastHeartbeat],
    );
  }

  async environments(): Promise<Array<Pick<EnvironmentInfo, 'name' | 'version' | 'url' | 'proxyUrl' | 'lastHeartbeat'>>> {
    const rows = (await runSql<EnvRow>(this.fork(), `select * from ${this.t.envs} order by name`)).rows;
    return rows.map((r) => ({ name: r.name, version: r.version, url: r.url, proxyUrl: r.proxy_url, lastHeartbeat: new Date(r.last_heartbeat_at).getTime() }));
  }

  async recordCommand(id: string, app: string, environment: string, command: string): Promise<void> {
    await runSql(this.fork(), `insert into ${this.t.commands} (id, app, environment, command, status) values (?, ?, ?, ?, 'sent')`, [id, app, environment, command]);
  }

  async commandAcknowledged(id: string): Promise<void> {
    await runSql(this.fork(), `update ${this.t.commands} set status = 'acknowledged', acknowledged_at = now() where id = ? and status = 'sent'`, [id]);
  }

  async commandFinished(outcome: CommandOutcome): Promise<void> {
    await runSql(
      this.fork(),
      `update ${this.t.commands} set status = ?, error = ?, acknowledged_at = coalesce(acknowledged_at, to_timestamp(? / 1000.0)), finished_at = to_timestamp(? / 1000.0) where id = ?`,
      [outcome.status, outcome.error, outcome.acknowledgedAt, outcome.finishedAt, outcome.id],
    );
  }

  async commands(app: string, limit = 50): Promise<Array<Record<string, unknown>>> {
    return (await runSql(this.fork(), `select * from ${this.t.commands} where app = ? order by sent_at desc limit ?`, [app, limit])).rows;
  }
}
