import { cbError } from '../errors/index.js';

/** Collection and field names: a PostgreSQL identifier we never need to rewrite (≤ 63 bytes). */
export const NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/;

/**
 * Collection names refused by default: the API's own resources and our metadata tables. Prefixes
 * `cb_` and `pg_` are refused too (ours and PostgreSQL's).
 */
export const RESERVED_COLLECTIONS: readonly string[] = ['collections', 'fields', 'app', 'auth'];
const RESERVED_COLLECTION_PREFIXES = ['cb_', 'pg_'];

/** Field names that would clash with JavaScript object internals when records become objects. */
/**
 * Collections other parts of the app own (users: shared/auth and shared/users; attachments:
 * shared/files), with their built-in
 * fields: the collection and those fields cannot be removed, and those fields change only their display
 * (`uiSchema`); fields added to them are ordinary fields.
 */
export const SYSTEM_COLLECTIONS: Readonly<Record<string, readonly string[]>> = {
  users: ['id', 'nickname', 'username', 'email', 'password', 'createdAt', 'updatedAt'],
  attachments: ['id', 'title', 'filename', 'extname', 'size', 'mimetype', 'path', 'meta', 'url', 'storageId', 'createdAt', 'updatedAt', 'createdBy', 'createdById', 'updatedBy', 'updatedById'],
};

export const RESERVED_FIELDS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export function assertCollectionName(name: unknown, reserved: readonly string[] = RESERVED_COLLECTIONS): asserts name is string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw cbError('CB_ERR_VALIDATION', `collection name ${JSON.stringify(name)} is invalid: use letters, digits and _, starting with a letter or _, at most 63 characters`);
  }
  const lower = name.toLowerCase();
  if (reserved.includes(lower) || RESERVED_COLLECTION_PREFIXES.some((p) => lower.startsWith(p))) {
    throw cbError('CB_ERR_VALIDATION', `collection name "${name}" is reserved`);
  }
}

export function assertFieldName(name: unknown, collection: string, what = 'field name'): asserts name is string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw cbError(
      'CB_ERR_VALIDATION',
      `${what} ${JSON.stringify(name)} in collection "${collection}" is invalid: use letters, digits and _, starting with a letter or _, at most 63 characters`,
    );
  }
  if (RESERVED_FIELDS.includes(name) || name.startsWith('__')) {
    throw cbError('CB_ERR_VALIDATION', `${what} "${name}" in collection "${collection}" is reserved`);
  }
}
