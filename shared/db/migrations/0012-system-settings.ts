import { Migration } from '@mikro-orm/migrations';

/**
 * NocoBase's `systemSettings` (plugin-system-settings, with plugin-acl's `roleMode`): one row, id 1,
 * read by `systemSettings:get` (public) and `app:getLang`, written by `systemSettings:put|update`.
 * `logoId` is the belongsTo `logo` to attachments, as NocoBase's collection has it.
 */
export class Migration0012SystemSettings extends Migration {
  override name = '0012-system-settings';

  override up(): void {
    this.addSql(`create table if not exists "systemSettings" (
      "id" bigint primary key,
      "title" varchar(255),
      "showLogoOnly" boolean,
      "allowSignUp" boolean not null default true,
      "smsAuthEnabled" boolean not null default false,
      "logoId" bigint,
      "enabledLanguages" jsonb not null default '["en-US"]',
      "appLang" varchar(255) not null default 'en-US',
      "options" jsonb not null default '{}',
      "roleMode" varchar(255) not null default 'default',
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now()
    )`);
    this.addSql(`insert into "systemSettings" ("id", "title") values (1, 'clusterbase') on conflict ("id") do nothing`);
  }

  override down(): void {
    this.addSql('drop table if exists "systemSettings"');
  }
}
