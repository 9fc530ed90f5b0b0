import { Migration } from '@mikro-orm/migrations';

/** Remembered answers of writes sent with an Idempotency-Key (record writes, issue 8 rolling restarts). */
export class Migration0007Idempotency extends Migration {
  override name = '0007-idempotency';

  override up(): void {
    // Tables arrive with the feature.
  }
}
