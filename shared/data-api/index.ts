export { AppData, type AppDataOptions } from './app-data.js';
export { listRecords, countRecords, type ListParams, type ListResult } from './list-records.js';
export { loadAppends } from './appends.js';
export { findByFilterKeys } from './find-by-filter-keys.js';
export { reencryptAll, type ReencryptOptions, type ReencryptReport } from './reencrypt.js';
export { idempotentWrite, requestHash, tokenSubject, sweepExpiredKeys, type IdempotencyOptions, type IdempotentWriteFn } from './idempotent-write.js';
export * as dataActions from './rest/index.js';
export type { DataApp, DataParams, DataHandler } from './rest/index.js';
