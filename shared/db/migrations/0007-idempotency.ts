import { Migration } from '@mikro-orm/migrations';

/**
 * Remembered answers of writes sent with an Idempotency-Key (shared/data-api/idempotent-write.ts).
 * One row per (caller, key): inserted first in the write's own transaction, so a concurrent duplicate
 * waits on the primary key and then reads the committed answer; `request_hash` tells a retry from a
 * different request reusing the key; rows past `expires_at` are replaced or swept (IDEMPOTENCY_KEY_TTL).
 */
export class Migration0007Idempotency extends Migration {
  override name = '0007-idempotency';

  override up(): void {
    this.addSql(`create table if not exists "cb_idempotency_keys" (
      "principal" text not null,
      "key" text not null,
      "request_hash" text not null,
      "response" text,
      "created_at" timestamptz not null default now(),
      "expires_at" timestamptz not null,
      primary key ("principal", "key")
    )`);
    this.addSql('create index if not exists "cb_idempotency_keys_expires_at" on "cb_idempotency_keys" ("expires_at")');
  }

  override down(): void {
    this.addSql('drop table if exists "cb_idempotency_keys"');
  }
}
