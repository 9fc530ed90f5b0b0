export { REQUESTS, type WorkerMode, type ServiceRole } from './types.js';
export { parseWorkerMode, WorkerModeSyntaxError, PROCESSOR_KEY } from './parse-worker-mode.js';
export { serving, selects, unknownKeys } from './serving.js';
