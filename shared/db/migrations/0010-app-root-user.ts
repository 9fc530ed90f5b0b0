import { Migration } from '@mikro-orm/migrations';

/**
 * Every supervised app's own root user (issue 13): `root_user` holds `{email, username, passwordHash}`
 * set by applications:create (a scrypt hash, never the password), sent to the environment with each
 * start command so the app's first start makes its root from it, never from INIT_ROOT_*.
 */
export class Migration0010AppRootUser extends Migration {
  override name = '0010-app-root-user';

  override up(): void {
    this.addSql('alter table "cb_supervisor_apps" add column if not exists "root_user" jsonb');
  }

  override down(): void {
    this.addSql('alter table "cb_supervisor_apps" drop column if exists "root_user"');
  }
}
