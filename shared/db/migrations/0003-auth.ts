import { Migration } from '@mikro-orm/migrations';

/**
 * Users and signed-out tokens of an app (shared/auth). `users` keeps NocoBase's column names (id,
 * username, email, nickname, password, "createdAt", "updatedAt") so a later change can register it as
 * a regular collection. `password` holds a scrypt hash (`scrypt$N$r$p$salt$hash`), never a password.
 * `cb_signed_out_tokens` is the shared blacklist behind the Bloom filter: one row per signed-out
 * token id until the token would have expired anyway.
 */
export class Migration0003Auth extends Migration {
  override name = '0003-auth';

  override up(): void {
    this.addSql(`create table if not exists "users" (
      "id" bigint primary key,
      "username" varchar(255) unique,
      "email" varchar(255) unique,
      "nickname" varchar(255),
      "password" text,
      "roles" text[] not null default '{member}',
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now()
    )`);
    this.addSql(`create table if not exists "cb_signed_out_tokens" (
      "jti" text primary key,
      "expires_at" timestamptz not null
    )`);
    this.addSql('create index if not exists "cb_signed_out_tokens_expires_at" on "cb_signed_out_tokens" ("expires_at")');
  }

  override down(): void {
    this.addSql('drop table if exists "cb_signed_out_tokens"');
    this.addSql('drop table if exists "users"');
  }
}
