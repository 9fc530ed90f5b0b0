export type { ErrorSpec } from './types.js';
export { catalogue, isErrorCode, type ErrorCode } from './catalogue.js';
export { cbError, StartupRefusal } from './cb-error.js';
export { errorTable } from './describe.js';
export type { Logger } from './logger.js';
