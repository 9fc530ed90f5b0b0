import { Migration } from '@mikro-orm/migrations';

/**
 * Roles and permissions with NocoBase's collection and column names (plugin-acl `roles`, plugin-data-
 * source-manager `dataSourcesRolesResources`, `…Actions`, `…Scopes`), read by shared/acl.
 * - roles: `strategy` `{actions: [...]}` is the general strategy on the main data source (`view`,
 *   `update:own` …); `default` marks the role new users get; snippets as NocoBase's.
 * - dataSourcesRolesResources: a collection configured for a role (`usingActionsConfig`): then only
 *   its actions apply to it, not the strategy.
 * - dataSourcesRolesResourcesActions: one allowed action with its fields (empty = all) and scope.
 * - dataSourcesRolesResourcesScopes: named filters; `all` and `own` (`createdById = {{$user.id}}`) built in.
 * Users keep their role names in `users.roles` (migration 0003); a role's removal takes it off them.
 */
export class Migration0011Acl extends Migration {
  override name = '0011-acl';

  override up(): void {
    this.addSql(`create table if not exists "roles" (
      "name" varchar(255) primary key,
      "title" varchar(255),
      "description" text,
      "strategy" jsonb,
      "default" boolean not null default false,
      "hidden" boolean not null default false,
      "allowConfigure" boolean,
      "allowNewMenu" boolean,
      "snippets" jsonb not null default '["!ui.*","!pm","!pm.*"]',
      "sort" integer,
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now()
    )`);
    this.addSql(`insert into "roles" ("name", "title", "hidden", "strategy", "allowConfigure", "allowNewMenu", "default", "snippets", "sort") values
      ('root', '{{t("Root")}}', true, null, true, true, false, '["ui.*","pm","pm.*","app"]', 1),
      ('admin', '{{t("Admin")}}', false, '{"actions":["create","view","update","destroy","export","importXlsx"]}', true, true, false, '["ui.*","pm","pm.*"]', 2),
      ('member', '{{t("Member")}}', false, '{"actions":["view","create","update","destroy","export","importXlsx"]}', false, true, true, '["!ui.*","!pm","!pm.*"]', 3)
      on conflict ("name") do nothing`);
    this.addSql(`create table if not exists "dataSourcesRolesResourcesScopes" (
      "id" bigint primary key,
      "key" varchar(255),
      "dataSourceKey" varchar(255) not null default 'main',
      "name" varchar(255),
      "resourceName" varchar(255),
      "scope" jsonb not null default '{}',
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now()
    )`);
    this.addSql(`insert into "dataSourcesRolesResourcesScopes" ("id", "key", "name", "scope") values
      (1, 'all', '{{t("All records")}}', '{}'),
      (2, 'own', '{{t("Own records")}}', '{"createdById":"{{$user.id}}"}')
      on conflict ("id") do nothing`);
    this.addSql(`create table if not exists "dataSourcesRolesResources" (
      "id" bigint primary key,
      "roleName" varchar(255) not null references "roles" ("name") on delete cascade on update cascade,
      "dataSourceKey" varchar(255) not null default 'main',
      "name" varchar(255) not null,
      "usingActionsConfig" boolean not null default false,
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now(),
      unique ("roleName", "dataSourceKey", "name")
    )`);
    this.addSql(`create table if not exists "dataSourcesRolesResourcesActions" (
      "id" bigint primary key,
      "rolesResourceId" bigint not null references "dataSourcesRolesResources" ("id") on delete cascade,
      "name" varchar(255) not null,
      "fields" jsonb not null default '[]',
      "scopeId" bigint references "dataSourcesRolesResourcesScopes" ("id") on delete set null,
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now()
    )`);
  }

  override down(): void {
    this.addSql('drop table if exists "dataSourcesRolesResourcesActions"');
    this.addSql('drop table if exists "dataSourcesRolesResources"');
    this.addSql('drop table if exists "dataSourcesRolesResourcesScopes"');
    this.addSql('drop table if exists "roles"');
  }
}
