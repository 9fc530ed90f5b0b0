export { AppData, type AppDataOptions } from './app-data.js';
export { listRecords, countRecords, type ListParams, type ListResult } from './list-records.js';
