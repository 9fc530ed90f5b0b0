import { Migration } from '@mikro-orm/migrations';

/** The attachments collection's fields as shared/data's metadata describes them (name, type, options). */
const FIELDS: ReadonlyArray<readonly [string, string, Record<string, unknown>]> = [
  ["id", "snowflakeId", {"key": "attachments-9", "interface": "snowflakeId", "primaryKey": true, "allowNull": false, "uiSchema": {"type": "number", "title": "{{t(\"ID\")}}", "x-component": "InputNumber", "x-read-pretty": true}}],
  ["title", "string", {"key": "attachments-0", "interface": "input", "uiSchema": {"type": "string", "title": "{{t(\"Title\")}}", "x-component": "Input"}}],
  ["filename", "string", {"key": "attachments-1", "interface": "input"}],
  ["extname", "string", {"key": "attachments-2", "interface": "input"}],
  ["size", "integer", {"key": "attachments-3", "interface": "integer"}],
  ["mimetype", "string", {"key": "attachments-4", "interface": "input"}],
  ["path", "text", {"key": "attachments-5", "interface": "input"}],
  ["meta", "json", {"key": "attachments-6", "interface": "json", "defaultValue": {}}],
  ["url", "text", {"key": "attachments-7", "interface": "url"}],
  ["storageId", "bigInt", {"key": "attachments-8", "interface": "integer"}],
  ["createdAt", "datetime", {"key": "attachments-10", "interface": "createdAt", "uiSchema": {"type": "datetime", "title": "{{t(\"Created at\")}}", "x-component": "DatePicker", "x-component-props": {}, "x-read-pretty": true}}],
  ["updatedAt", "datetime", {"key": "attachments-11", "interface": "updatedAt", "uiSchema": {"type": "datetime", "title": "{{t(\"Last updated at\")}}", "x-component": "DatePicker", "x-component-props": {}, "x-read-pretty": true}}],
  ["createdBy", "belongsTo", {"key": "attachments-12", "uiSchema": {"type": "object", "title": "{{t(\"Created by\")}}", "x-component": "AssociationField", "x-read-pretty": true}, "target": "users", "foreignKey": "createdById", "targetKey": "id", "interface": "createdBy"}],
  ["createdById", "bigInt", {"key": "attachments-13", "interface": "integer", "isForeignKey": true}],
  ["updatedBy", "belongsTo", {"key": "attachments-14", "uiSchema": {"type": "object", "title": "{{t(\"Last updated by\")}}", "x-component": "AssociationField", "x-read-pretty": true}, "target": "users", "foreignKey": "updatedById", "targetKey": "id", "interface": "updatedBy"}],
  ["updatedById", "bigInt", {"key": "attachments-15", "interface": "integer", "isForeignKey": true}],
];

const sqlText = (v: unknown) => `'${JSON.stringify(v).replace(/'/g, "''")}'`;

/**
 * NocoBase's file manager (plugin-file-manager): `storages` (where files go: `local` under
 * STORAGE_PATH, `s3` for any S3-compatible service; `rules` limit size and MIME types; `default` is the
 * storage of uploads that name none) and `attachments` (one row per stored file), registered as a
 * collection so relations (`attachment` fields: belongsToMany to attachments) can target it. The
 * default storage is the local one.
 */
export class Migration0014Files extends Migration {
  override name = '0014-files';

  override up(): void {
    this.addSql(`create table if not exists "storages" (
      "id" bigint primary key,
      "title" varchar(255),
      "name" varchar(255) not null unique,
      "type" varchar(255) not null,
      "options" jsonb not null default '{}',
      "rules" jsonb not null default '{}',
      "path" varchar(255) not null default '',
      "baseUrl" varchar(1024) not null default '',
      "default" boolean not null default false,
      "paranoid" boolean not null default false,
      "renameMode" varchar(255) not null default 'random',
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now()
    )`);
    this.addSql(`insert into "storages" ("id", "title", "name", "type", "options", "rules", "default") values
      (1, '{{t("Local storage")}}', 'local', 'local', '{"documentRoot":"uploads"}', '{"size":20971520}', true) on conflict do nothing`);
    this.addSql(`create table if not exists "attachments" (
      "id" bigint primary key,
      "title" varchar(255),
      "filename" varchar(255),
      "extname" varchar(255),
      "size" integer,
      "mimetype" varchar(255),
      "path" text,
      "meta" jsonb default '{}',
      "url" text,
      "storageId" bigint,
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now(),
      "createdById" bigint references "users" ("id") on delete set null,
      "updatedById" bigint references "users" ("id") on delete set null
    )`);
    this.addSql('create index if not exists "attachments_createdById" on "attachments" ("createdById")');
    const options = { key: 'attachments', autoGenId: true, primaryKey: 'id', timestamps: { createdAt: true, updatedAt: true }, options: { origin: '@nocobase/plugin-file-manager' } };
    this.addSql(`insert into "cb_collections" ("name", "title", "options") values ('attachments', '{{t("Attachments")}}', ${sqlText(options)}::jsonb) on conflict ("name") do nothing`);
    FIELDS.forEach(([name, type, o], i) => {
      this.addSql(`insert into "cb_fields" ("collection_name", "name", "type", "options", "sort") values ('attachments', '${name}', '${type}', ${sqlText(o)}::jsonb, ${i + 1}) on conflict do nothing`);
    });
  }

  override down(): void {
    this.addSql(`delete from "cb_collections" where "name" = 'attachments'`);
    this.addSql('drop table if exists "attachments"');
    this.addSql('drop table if exists "storages"');
  }
}
