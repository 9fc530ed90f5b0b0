import { Migration } from '@mikro-orm/migrations';

/**
 * Collection metadata of an app (shared/data's CollectionManager): one row per collection and one per
 * field. The collections themselves are real tables in the same schema, made by the manager's DDL.
 */
export class Migration0002Collections extends Migration {
  override name = '0002-collections';

  override up(): void {
    this.addSql(`create table if not exists "cb_collections" (
      "name" varchar(63) primary key,
      "title" text,
      "options" jsonb not null default '{}'::jsonb,
      "created_at" timestamptz not null default now()
    )`);
    this.addSql(`create table if not exists "cb_fields" (
      "collection_name" varchar(63) not null references "cb_collections" ("name") on delete cascade,
      "name" varchar(63) not null,
      "type" varchar(32) not null,
      "options" jsonb not null default '{}'::jsonb,
      "sort" integer not null default 0,
      primary key ("collection_name", "name")
    )`);
  }

  override down(): void {
    this.addSql('drop table if exists "cb_fields"');
    this.addSql('drop table if exists "cb_collections"');
  }
}
