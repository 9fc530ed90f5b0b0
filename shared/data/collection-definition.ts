import { defaultThrough } from './relation-keys.js';
import { cbError } from '../errors/index.js';
import { foreignKeyField, hasColumn, parseFieldDefinition, PRIMARY_KEY_TYPES } from './field-definition.js';
import { assertCollectionName, assertFieldName, NAME_PATTERN } from './names.js';
import { checkValue } from './values.js';
import type { CollectionLookup, CollectionMeta, FieldMeta } from './types.js';

/** Keys of a collections:create body we interpret; others are kept in `options` as given. */
const KNOWN = new Set(['name', 'title', 'fields', 'autoGenId', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy', 'key', 'filterTargetKey', 'schema', 'options']);

function invalid(message: string): never {
  throw cbError('CB_ERR_VALIDATION', message);
}

function optionalFlag(body: Record<string, unknown>, prop: string, fallback: boolean): boolean {
  const value = body[prop];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') invalid(`${prop} must be true or false`);
  return value;
}

export const ID_FIELD = (key: string): FieldMeta => ({
  name: 'id',
  type: 'snowflakeId',
  key,
  interface: 'snowflakeId',
  primaryKey: true,
  allowNull: false,
  uiSchema: { type: 'number', title: '{{t("ID")}}', 'x-component': 'InputNumber', 'x-read-pretty': true },
});

export const TIMESTAMP_FIELD = (name: 'createdAt' | 'updatedAt', key: string): FieldMeta => ({
  name,
  type: 'datetime',
  key,
  interface: name,
  uiSchema: {
    type: 'datetime',
    title: name === 'createdAt' ? '{{t("Created at")}}' : '{{t("Last updated at")}}',
    'x-component': 'DatePicker',
    'x-component-props': {},
    'x-read-pretty': true,
  },
});

/**
 * NocoBase's createdBy / updatedBy: a belongsTo to `users` through `createdById` / `updatedById`,
 * filled from the caller. Made when the collection option is true or a field with that interface (as
 * NocoBase's UI sends) is given; the foreign-key column is a bigint.
 */
function addUserStamp(kind: 'createdBy' | 'updatedBy', wanted: boolean, fields: FieldMeta[], newKey: () => string): void {
  const at = fields.findIndex((f) => f.name === kind || (f.interface === kind && f.type === 'belongsTo'));
  if (!wanted && at < 0) return;
  const foreignKey = (at >= 0 ? fields[at]!.foreignKey : undefined) ?? `${kind}Id`;
  const relation: FieldMeta = {
    ...(at >= 0 ? fields[at]! : { name: kind, key: newKey(), uiSchema: { type: 'object', title: kind === 'createdBy' ? '{{t("Created by")}}' : '{{t("Last updated by")}}', 'x-component': 'AssociationField', 'x-read-pretty': true } }),
    type: 'belongsTo',
    target: 'users',
    foreignKey,
    targetKey: 'id',
    interface: kind,
  };
  if (at >= 0) fields[at] = relation;
  else fields.push(relation);
  if (!fields.some((f) => f.name === foreignKey)) fields.push({ name: foreignKey, type: 'bigInt', key: newKey(), interface: 'integer', isForeignKey: true });
}

/** The users table exists in every app schema (shared/auth) but is not a registered collection yet: such a relation keeps its keys as given. */
function isUnregisteredUsers(f: FieldMeta, lookup: CollectionLookup): boolean {
  return f.type === 'belongsTo' && f.target === 'users' && !lookup('users');
}

/** Other collection options (`description`, `hidden`, …), kept as given. */
export function extraCollectionOptions(body: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [prop, value] of Object.entries(body)) if (!KNOWN.has(prop)) options[prop] = value;
  if (typeof body.options === 'object' && body.options !== null && !Array.isArray(body.options)) Object.assign(options, body.options);
  return options;
}

/**
 * Completes a relation field against the collection it is added to (`self`, with the fields known so
 * far) and the other collections, and returns the fields it brings: the relation itself and, for a
 * belongsTo whose foreign-key column does not exist yet, that column's field.
 */
export function resolveRelation(field: FieldMeta, self: { name: string; primaryKey: string; fields: ReadonlyMap<string, FieldMeta> }, lookup: CollectionLookup, newKey: () => string): FieldMeta[] {
  const where = `field "${field.name}" of collection "${self.name}"`;
  if (!NAME_PATTERN.test(field.target!)) invalid(`${where}: target ${JSON.stringify(field.target)} is not a collection name`);
  const target = field.target === self.name ? self : lookup(field.target!);
  if (!target) invalid(`${where}: target collection "${field.target}" does not exist`);
  if (field.type === 'belongsTo') {
    const foreignKey = field.foreignKey ?? `${field.name}Id`;
    assertFieldName(foreignKey, self.name, `foreign key of field "${field.name}"`);
    const targetKey = field.targetKey ?? target.primaryKey;
    const keyField = target.fields.get(targetKey);
    if (!keyField || !(keyField.primaryKey || keyField.unique) || !hasColumn(keyField)) {
      invalid(`${where}: targetKey "${targetKey}" must be the primary key or a unique field of "${target.name}"`);
    }
    const resolved: FieldMeta = { ...field, foreignKey, targetKey };
    const existing = self.fields.get(foreignKey);
    if (existing) {
      const compatible = PRIMARY_KEY_TYPES.includes(existing.type) && (existing.type === keyField.type || (['bigInt', 'snowflakeId', 'integer'].includes(existing.type) && ['bigInt', 'snowflakeId', 'integer'].includes(keyField.type)));
      if (!compatible || !hasColumn(existing)) invalid(`${where}: foreign key field "${foreignKey}" exists with type ${existing.type}, which cannot hold "${target.name}.${targetKey}" (${keyField.type})`);
      return [resolved];
    }
    return [resolved, foreignKeyField(foreignKey, keyField, newKey())];
  }
  if (field.type === 'belongsToMany') return [resolveBelongsToMany(field, self, target, lookup, where)];
  // hasOne / hasMany: the foreign key lives on the target, which must already have it as a column.
  const foreignKey = field.foreignKey ?? `${self.name}Id`;
  const sourceKey = field.sourceKey ?? self.primaryKey;
  const sourceField = self.fields.get(sourceKey);
  if (!sourceField || !(sourceField.primaryKey || sourceField.unique)) invalid(`${where}: sourceKey "${sourceKey}" must be the primary key or a unique field of "${self.name}"`);
  const fkField = target.fields.get(foreignKey);
  if (!fkField || !hasColumn(fkField)) {
    invalid(`${where}: collection "${target.name}" has no field "${foreignKey}" to point back here; add a belongsTo (or an integer field) "${foreignKey}" there first, or set foreignKey`);
  }
  return [{ ...field, foreignKey, sourceKey }];
}

/** NocoBase's English singular of a collection name for default key names (`posts` → `post`, `categories` → `category`). */
export function singular(name: string): string {
  if (/ies$/.test(name)) return `${name.slice(0, -3)}y`;
  if (/(ss|us)$/.test(name)) return name;
  return name.endsWith('s') ? name.slice(0, -1) : name;
}

/**
 * belongsToMany as NocoBase: through collection (default both names lower-cased, sorted, joined by `_`,
 * camel-cased), foreignKey `<singular source><SourceKey>` and otherKey `<singular target><TargetKey>`
 * (`postId`, `tagId`). A through collection that exists must have both columns; otherwise the
 * manager makes the table (its rows are the links).
 */
function resolveBelongsToMany(field: FieldMeta, self: { name: string; primaryKey: string; fields: ReadonlyMap<string, FieldMeta> }, target: { name: string; primaryKey: string; fields: ReadonlyMap<string, FieldMeta> }, lookup: CollectionLookup, where: string): FieldMeta {
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const sourceKey = field.sourceKey ?? self.primaryKey;
  const targetKey = field.targetKey ?? target.primaryKey;
  const through = field.through ?? defaultThrough(self.name, target.name);
  const foreignKey = field.foreignKey ?? `${singular(self.name)}${cap(sourceKey)}`;
  const otherKey = field.otherKey ?? `${singular(target.name)}${cap(targetKey)}`;
  for (const [key, owner] of [[sourceKey, self], [targetKey, target]] as const) {
    const f = owner.fields.get(key);
    if (!f || !(f.primaryKey || f.unique) || !hasColumn(f)) invalid(`${where}: "${key}" must be the primary key or a unique field of "${owner.name}"`);
  }
  assertFieldName(through, self.name, `through collection of field "${field.name}"`);
  assertFieldName(foreignKey, self.name, `foreign key of field "${field.name}"`);
  assertFieldName(otherKey, self.name, `other key of field "${field.name}"`);
  if (foreignKey === otherKey) invalid(`${where}: foreignKey and otherKey must differ (both "${foreignKey}")`);
  if (through === target.name || through === self.name) invalid(`${where}: the through collection cannot be "${through}" itself`);
  const existing = lookup(through);
  if (existing) {
    for (const key of [foreignKey, otherKey]) if (!existing.fields.get(key) || !hasColumn(existing.fields.get(key)!)) invalid(`${where}: through collection "${through}" has no field "${key}"`);
  }
  return { ...field, through, foreignKey, otherKey, sourceKey, targetKey };
}

/**
 * Turns a NocoBase collections:create body into the collection's metadata: the generated `id`
 * primary key (autoGenId, default true) or the field marked primaryKey, the user's fields in order
 * (each belongsTo followed by its foreign-key field), then createdAt/updatedAt (default true).
 * A field named like a generated one replaces it when compatible (a datetime `createdAt`).
 */
export function parseCollectionDefinition(
  input: unknown,
  schema: string,
  lookup: CollectionLookup,
  newKey: () => string,
  reserved?: readonly string[],
): CollectionMeta {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) invalid('the collection definition must be an object');
  const body = input as Record<string, unknown>;
  assertCollectionName(body.name, reserved);
  const name = body.name;
  if (body.title !== undefined && body.title !== null && typeof body.title !== 'string') invalid('title must be a string');
  if (body.fields !== undefined && !Array.isArray(body.fields)) invalid('fields must be an array');
  const createdAt = optionalFlag(body, 'createdAt', true);
  const updatedAt = optionalFlag(body, 'updatedAt', true);
  const given = ((body.fields as unknown[] | undefined) ?? []).map((f) => parseFieldDefinition(f, name, newKey()));

  const seen = new Set<string>();
  for (const f of given) {
    if (seen.has(f.name)) invalid(`Field name "${f.name}" appears twice in collection "${name}"`);
    seen.add(f.name);
  }
  const primaryKeys = given.filter((f) => f.primaryKey);
  if (primaryKeys.length > 1) invalid(`collection "${name}" has several primary keys (${primaryKeys.map((f) => f.name).join(', ')}); only one is supported`);
  let autoGenId = optionalFlag(body, 'autoGenId', primaryKeys.length === 0);
  if (autoGenId && primaryKeys.length === 1) {
    if (body.autoGenId === true) invalid(`collection "${name}": autoGenId is true but field "${primaryKeys[0]!.name}" is marked primaryKey; set autoGenId to false`);
    autoGenId = false;
  }
  if (!autoGenId && primaryKeys.length === 0) invalid(`collection "${name}" needs a primary key: set autoGenId to true or mark one field primaryKey`);
  if (autoGenId && seen.has('id')) invalid(`collection "${name}": field "id" conflicts with the generated primary key; set autoGenId to false and mark a field primaryKey`);

  const fields: FieldMeta[] = [];
  if (autoGenId) fields.push(ID_FIELD(newKey()));
  else fields.push({ ...primaryKeys[0]!, allowNull: false });
  for (const f of given) if (!f.primaryKey) fields.push(f);
  for (const stamp of ['createdAt', 'updatedAt'] as const) {
    if (!(stamp === 'createdAt' ? createdAt : updatedAt)) continue;
    const own = fields.find((f) => f.name === stamp);
    if (own && !['datetime', 'date', 'datetimeTz'].includes(own.type)) invalid(`collection "${name}": field "${stamp}" must be a datetime to serve as the ${stamp} timestamp (or set ${stamp} to false)`);
    if (!own) fields.push(TIMESTAMP_FIELD(stamp, newKey()));
  }
  for (const kind of ['createdBy', 'updatedBy'] as const) addUserStamp(kind, body[kind] === true, fields, newKey);

  const primaryKey = fields[0]!.name;
  // Relations resolve against the column fields of this definition (self-references) and the others.
  const columns = new Map(fields.filter(hasColumn).map((f) => [f.name, f]));
  const ordered: FieldMeta[] = [];
  for (const f of fields) {
    if (f.type !== 'belongsTo' || isUnregisteredUsers(f, lookup)) continue;
    for (const extra of resolveRelation(f, { name, primaryKey, fields: columns }, lookup, newKey)) if (extra.isForeignKey) columns.set(extra.name, extra);
  }
  for (const f of fields) {
    if (isUnregisteredUsers(f, lookup)) {
      ordered.push(f);
    } else if (f.type === 'belongsTo' || f.type === 'hasMany' || f.type === 'hasOne' || f.type === 'belongsToMany') {
      const resolved = resolveRelation(f, { name, primaryKey, fields: columns }, lookup, () => '');
      ordered.push(resolved[0]!);
      const fk = f.type === 'belongsTo' ? columns.get(resolved[0]!.foreignKey!) : undefined;
      if (fk?.isForeignKey && !ordered.includes(fk) && !fields.includes(fk)) ordered.push(fk);
    } else {
      ordered.push(f);
    }
  }
  for (const f of ordered) {
    if (f.defaultValue !== undefined && hasColumn(f)) checkValue(f, f.defaultValue);
  }
  const options = extraCollectionOptions(body);
  return {
    name,
    ...(typeof body.title === 'string' ? { title: body.title } : {}),
    schema,
    table: name,
    primaryKey,
    timestamps: { createdAt, updatedAt },
    fields: new Map(ordered.map((f) => [f.name, f])),
    key: newKey(),
    autoGenId,
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
}
