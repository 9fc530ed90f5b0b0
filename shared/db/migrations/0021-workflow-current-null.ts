import { Migration } from '@mikro-orm/migrations';

/**
 * Workflow versions as NocoBase keeps them (issue 12 item 9): `current` is true for the one current
 * version of a key and NULL (not false) for the others, so the API answers `current: null` for a
 * revision as NocoBase does.
 */
export class Migration0021WorkflowCurrentNull extends Migration {
  override name = '0021-workflow-current-null';

  override up(): void {
    this.addSql('alter table "workflows" alter column "current" drop not null');
    this.addSql('update "workflows" set "current" = null where "current" = false');
  }

  override down(): void {
    this.addSql('update "workflows" set "current" = false where "current" is null');
    this.addSql('alter table "workflows" alter column "current" set not null');
  }
}
