import { Migration } from '@mikro-orm/migrations';

/**
 * Supervisor applications, environments and commands (shared/supervisor, issue 7). Used in the
 * supervisor's main schema only; other schemas get the (empty) tables too, as every migration runs
 * per schema.
 * - cb_supervisor_apps: one row per app; `environments` in start order; `desired` is what the last
 *   start/stop asked for.
 * - cb_supervisor_app_environments: the status of an app on one environment (preparing, initializing,
 *   running, stopped, error, not_found), the last error, and when the last start began and ended.
 * - cb_supervisor_environments: environments workers registered, with their last heartbeat.
 * - cb_supervisor_commands: every command sent to an environment and its recorded outcome.
 */
export class Migration0006Supervisor extends Migration {
  override name = '0006-supervisor';

  override up(): void {
    this.addSql(`create table if not exists "cb_supervisor_apps" (
      "name" varchar(63) primary key,
      "display_name" text not null,
      "database" jsonb not null default '{}',
      "environments" text[] not null,
      "desired" varchar(16) not null default 'stopped',
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now()
    )`);
    this.addSql(`create table if not exists "cb_supervisor_app_environments" (
      "app" varchar(63) not null references "cb_supervisor_apps" ("name") on delete cascade,
      "environment" varchar(63) not null,
      "status" varchar(16) not null,
      "error" text,
      "started_at" timestamptz,
      "finished_at" timestamptz,
      "updated_at" timestamptz not null default now(),
      primary key ("app", "environment")
    )`);
    this.addSql(`create table if not exists "cb_supervisor_environments" (
      "name" varchar(63) primary key,
      "version" text not null default '',
      "url" text not null,
      "proxy_url" text,
      "registered_at" timestamptz not null default now(),
      "last_heartbeat_at" timestamptz not null default now()
    )`);
    this.addSql(`create table if not exists "cb_supervisor_commands" (
      "id" uuid primary key,
      "app" varchar(63) not null,
      "environment" varchar(63) not null,
      "command" varchar(32) not null,
      "status" varchar(16) not null,
      "error" text,
      "sent_at" timestamptz not null default now(),
      "acknowledged_at" timestamptz,
      "finished_at" timestamptz
    )`);
    this.addSql('create index if not exists "cb_supervisor_commands_app" on "cb_supervisor_commands" ("app", "sent_at")');
  }

  override down(): void {
    this.addSql('drop table if exists "cb_supervisor_commands"');
    this.addSql('drop table if exists "cb_supervisor_environments"');
    this.addSql('drop table if exists "cb_supervisor_app_environments"');
    this.addSql('drop table if exists "cb_supervisor_apps"');
  }
}
