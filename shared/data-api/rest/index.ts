export type { DataApp, DataParams, DataHandler } from './types.js';
export { filterInstead, recordKey, byFilterKeys, once } from './request.js';
export * from './collections.js';
export * from './records.js';
export * from './associations.js';
