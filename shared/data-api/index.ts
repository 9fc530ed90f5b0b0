export { AppData, type AppDataOptions } from './app-data.js';
export { listRecords, countRecords, getRecord, type ListParams, type ListResult } from './list-records.js';
export { targetFilter, targetKeys, singleKeyOnly, requestListParams } from './target-filter.js';
export { loadAppends } from './appends.js';
export { findByFilterKeys } from './find-by-filter-keys.js';
export { reencryptAll, type ReencryptOptions, type ReencryptReport } from './reencrypt.js';
export { idempotentWrite, requestHash, tokenSubject, sweepExpiredKeys, type IdempotencyOptions, type IdempotentWriteFn } from './idempotent-write.js';
export { resolveAssociation, associationWhere, linkKeys, linkAssociation, createInAssociation, type Association, type LinkAction } from './associations.js';
export { listMetadata } from './metadata-list.js';
