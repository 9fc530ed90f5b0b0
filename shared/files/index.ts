export type { StorageAdapter, StorageRecord, StoredFile } from './types.js';
export { LocalStorage } from './local-storage.js';
export { S3Storage, s3Options, type S3Options } from './s3-storage.js';
export { StorageAdapters, STORAGE_TYPES, checkStorageOptions } from './adapters.js';
export { storagesAction, findStorage, storageJson, DEFAULT_SIZE_LIMIT } from './storages.js';
export { createAttachment, downloadAttachment, destroyAttachments, discardStagedAttachment, mimeAllowed, type FilesApp, type FilesParams, type UploadPart } from './attachments.js';
