import { Migration } from '@mikro-orm/migrations';

/** Per-app metadata: install time, key fingerprints and other facts every node must agree on. */
export class Migration0001Meta extends Migration {
  override name = '0001-meta';

  override up(): void {
    this.addSql(`create table if not exists "cb_meta" (
      "key" text primary key,
      "value" jsonb not null,
      "updated_at" timestamptz not null default now()
    )`);
    this.addSql(`insert into "cb_meta" ("key", "value") values ('installed_at', to_jsonb(now())) on conflict do nothing`);
  }

  override down(): void {
    this.addSql('drop table if exists "cb_meta"');
  }
}
