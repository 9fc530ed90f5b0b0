export type { ErrorSpec } from './types.js';
export { catalogue, isErrorCode, type ErrorCode } from './catalogue.js';
export { cbError, StartupRefusal } from './cb-error.js';
export { errorTable } from './describe.js';
export type { Logger } from './logger.js';
export { isRetryableInfrastructureError, unavailableDependency } from './infrastructure.js';
export { OutageLog } from './outage-log.js';
export { redisDependency, watchConnection } from './watch-connection.js';
export type { ConnectionEvents, OutageLogger } from './types.js';
