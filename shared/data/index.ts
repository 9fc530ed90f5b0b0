export type { CollectionLookup, CollectionMeta, FieldMeta, FieldType, SqlFragment } from './types.js';
export { CollectionManager, type CollectionManagerOptions, type LockFn } from './collection-manager.js';
export {
  RecordRepository,
  type CollectionSource,
  type GetOptions,
  type RecordRepositoryOptions,
  type WriteEvent,
  type WriteHook,
  type WriteLimits,
  type WriteOptions,
} from './record-repository.js';
export { decodeRow, type RecordValues } from './record-codec.js';
export { collectionToJson, fieldToJson } from './serialize.js';
export { FIELD_TYPES, PRIMARY_KEY_TYPES, columnType, hasColumn, isRelation } from './field-definition.js';
export { NAME_PATTERN, RESERVED_COLLECTIONS, RESERVED_FIELDS, SYSTEM_COLLECTIONS } from './names.js';
export {
  DEFAULT_SCRYPT,
  checkValue,
  decodeForRead,
  decryptValue,
  encodeForWrite,
  encryptValue,
  hashPassword,
  isReadable,
  verifyPassword,
  type CodecOptions,
  type ScryptParams,
} from './values.js';
