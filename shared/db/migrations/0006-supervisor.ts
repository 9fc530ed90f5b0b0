import { Migration } from '@mikro-orm/migrations';

/** Supervisor applications, environments and commands (shared/supervisor, issue 7). */
export class Migration0006Supervisor extends Migration {
  override name = '0006-supervisor';

  override up(): void {
    // Tables arrive with the feature.
  }
}
