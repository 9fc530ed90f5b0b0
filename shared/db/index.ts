export type { Database } from './types.js';
export { startDatabase, type DatabaseHandle } from './start-database.js';
export { openDatabase } from './open-database.js';
export { migrateSchema } from './migrate.js';
export { ensureDatabase } from './ensure-database.js';
export { freePort } from './free-port.js';
