import { Migration } from '@mikro-orm/migrations';

const field = (name: string, type: string, sort: number, options: Record<string, unknown>) => ({ name, type, sort, options });

/** NocoBase's users fields (plugin-users), as shared/data's metadata describes them; `roles` stays a column of its own. */
const FIELDS = [
  field('id', 'snowflakeId', 1, { key: 'users-id', interface: 'snowflakeId', primaryKey: true, allowNull: false, uiSchema: { type: 'number', title: '{{t("ID")}}', 'x-component': 'InputNumber', 'x-read-pretty': true } }),
  field('nickname', 'string', 2, { key: 'users-nickname', interface: 'input', uiSchema: { type: 'string', title: '{{t("Nickname")}}', 'x-component': 'Input' } }),
  field('username', 'string', 3, { key: 'users-username', interface: 'input', unique: true, uiSchema: { type: 'string', title: '{{t("Username")}}', 'x-component': 'Input' } }),
  field('email', 'string', 4, { key: 'users-email', interface: 'email', unique: true, uiSchema: { type: 'string', title: '{{t("Email")}}', 'x-component': 'Input' } }),
  field('password', 'password', 5, { key: 'users-password', interface: 'password', uiSchema: { type: 'string', title: '{{t("Password")}}', 'x-component': 'Password' } }),
  field('createdAt', 'datetime', 6, { key: 'users-createdAt', interface: 'createdAt', uiSchema: { type: 'datetime', title: '{{t("Created at")}}', 'x-component': 'DatePicker', 'x-component-props': {}, 'x-read-pretty': true } }),
  field('updatedAt', 'datetime', 7, { key: 'users-updatedAt', interface: 'updatedAt', uiSchema: { type: 'datetime', title: '{{t("Last updated at")}}', 'x-component': 'DatePicker', 'x-component-props': {}, 'x-read-pretty': true } }),
];

/**
 * The `users` table (migration 0003) registered as a collection in shared/data's metadata: fields can
 * be added to it (columns on the same table) and relations can target it (createdBy / updatedBy,
 * appended on lists). Its built-in fields and the collection itself cannot be removed (shared/data's
 * system collections). Collections made earlier keep their createdBy/updatedBy without a foreign key.
 */
export class Migration0013UsersCollection extends Migration {
  override name = '0013-users-collection';

  override up(): void {
    const options = { key: 'users', autoGenId: true, primaryKey: 'id', timestamps: { createdAt: true, updatedAt: true }, options: { origin: '@nocobase/plugin-users' } };
    this.addSql(`insert into "cb_collections" ("name", "title", "options") values ('users', '{{t("Users")}}', '${JSON.stringify(options)}'::jsonb) on conflict ("name") do nothing`);
    for (const f of FIELDS) {
      const json = JSON.stringify(f.options).replace(/'/g, "''");
      this.addSql(`insert into "cb_fields" ("collection_name", "name", "type", "options", "sort") values ('users', '${f.name}', '${f.type}', '${json}'::jsonb, ${f.sort}) on conflict do nothing`);
    }
  }

  override down(): void {
    this.addSql(`delete from "cb_collections" where "name" = 'users'`);
  }
}
