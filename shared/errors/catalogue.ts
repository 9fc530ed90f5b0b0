import type { ErrorSpec } from './types.js';

/**
 * Every error code clusterbase lets cross a boundary (HTTP, Moleculer call, start-up refusal).
 * Codes are `CB_ERR_<AREA>_<WHAT>`; docs/errors.md documents each one and a test keeps them in step.
 */
export const catalogue = {
  CB_ERR_CONFIG_INVALID: { status: 500, retryable: false, message: 'Invalid configuration' },
  CB_ERR_CONFIG_WORKER_MODE: { status: 500, retryable: false, message: 'Invalid WORKER_MODE' },
  CB_ERR_HTTP_NOT_FOUND: { status: 404, retryable: false, message: 'Not found' },
  CB_ERR_HTTP_METHOD_NOT_ALLOWED: { status: 405, retryable: false, message: 'Method not allowed' },
  CB_ERR_HTTP_BAD_BODY: { status: 400, retryable: false, message: 'The request body is not valid JSON' },
  CB_ERR_HTTP_BODY_TOO_LARGE: { status: 413, retryable: false, message: 'The request body is too large' },
  CB_ERR_HTTP_UNSUPPORTED_MEDIA: { status: 415, retryable: false, message: 'Unsupported content type' },
  CB_ERR_VALIDATION: { status: 400, retryable: false, message: 'Invalid parameters' },
  CB_ERR_NODE_DRAINING: { status: 503, retryable: true, message: 'This node is shutting down' },
  CB_ERR_SERVICE_UNAVAILABLE: { status: 503, retryable: true, message: 'The service is not available' },
  CB_ERR_REQUEST_TIMEOUT: { status: 504, retryable: true, message: 'The request timed out' },
  CB_ERR_DB_UNAVAILABLE: { status: 503, retryable: true, message: 'The database is not reachable' },
  CB_ERR_DB_EMBEDDED: { status: 500, retryable: false, message: 'The embedded PostgreSQL could not start' },
  CB_ERR_INTERNAL: { status: 500, retryable: false, message: 'Internal server error' },
  CB_ERR_LOCK_TIMEOUT: { status: 503, retryable: true, message: 'The lock is held by another owner; gave up waiting for it' },
  CB_ERR_LOCK_LOST: { status: 503, retryable: true, message: 'The lock lease was lost (expired or taken over); redo the work under a new lock' },
  CB_ERR_LOCK_STALE_FENCE: { status: 409, retryable: false, message: 'A newer lock holder has written; this write carries a stale fencing token' },
  CB_ERR_LOCK_CLOSED: { status: 503, retryable: true, message: 'The lock adapter is closed or not connected' },
  CB_ERR_ID_NO_WORKER_ID: { status: 503, retryable: true, message: 'This node holds no valid worker-ID lease, so it issues no IDs' },
  CB_ERR_ID_CLOCK_BACKWARDS: { status: 503, retryable: false, message: 'The system clock moved backwards further than the ID generator waits out' },
  CB_ERR_ID_CLOCK_RANGE: { status: 500, retryable: false, message: 'The system clock is outside the range of the ID layout' },
  CB_ERR_WORKER_ID_EXHAUSTED: { status: 503, retryable: true, message: 'All 32 worker IDs are leased' },
  CB_ERR_WORKER_ID_STORE: { status: 503, retryable: true, message: 'The worker-ID store is not reachable' },
  CB_ERR_QUEUE_INVALID_MESSAGE: { status: 400, retryable: false, message: 'The message is not JSON the queue can carry' },
  CB_ERR_QUEUE_CLOSED: { status: 503, retryable: true, message: 'The message queue is closed' },
  CB_ERR_QUEUE_UNAVAILABLE: { status: 503, retryable: true, message: 'The message queue broker is not reachable or did not confirm the message' },
  CB_ERR_DATA_NOT_FOUND: { status: 404, retryable: false, message: 'No such collection or field' },
  CB_ERR_DATA_CONFLICT: { status: 409, retryable: false, message: 'A record with this unique value already exists' },
  CB_ERR_DATA_NO_AES_KEY: { status: 500, retryable: false, message: 'No AES key is configured (APP_AES_SECRET_KEY), so encrypted fields cannot be written or read' },
  CB_ERR_DATA_IDEMPOTENCY_MISMATCH: { status: 422, retryable: false, message: 'This Idempotency-Key was already used for a different request' },
  CB_ERR_DATA_DECRYPT: { status: 500, retryable: false, message: "An encrypted value could not be decrypted with this node's AES key (a different APP_AES_SECRET_KEY, or a damaged value)" },
  CB_ERR_WORKFLOW_NOT_FOUND: { status: 404, retryable: false, message: 'workflow not found' },
  CB_ERR_WORKFLOW_EXECUTED: { status: 400, retryable: false, message: 'config of executed workflow can not be updated' },
  CB_ERR_WORKFLOW_REJECTED: { status: 400, retryable: false, message: 'A synchronous workflow rejected the request' },
  CB_ERR_WORKFLOW_SYNC_TIMEOUT: { status: 400, retryable: false, message: 'A synchronous workflow did not finish in time; the request was rolled back' },
  CB_ERR_WORKFLOW_EXPRESSION: { status: 400, retryable: false, message: 'The calculation expression is not valid or uses something that is not allowed' },
  CB_ERR_WORKFLOW_REQUEST_FAILED: { status: 502, retryable: false, message: 'The HTTP request node failed (network error, timeout or an error status after its retries)' },
  CB_ERR_AUTH_EMPTY_TOKEN: { status: 401, retryable: false, message: 'Unauthenticated. Please sign in to continue.' },
  CB_ERR_AUTH_INVALID_TOKEN: { status: 401, retryable: false, message: 'Your session has expired. Please sign in again.' },
  CB_ERR_AUTH_BAD_CREDENTIALS: { status: 401, retryable: false, message: 'The username/email or password is incorrect, please re-enter' },
  CB_ERR_AUTH_FORBIDDEN: { status: 403, retryable: false, message: 'No permissions' },
  CB_ERR_SUPERVISOR_APP_NOT_FOUND: { status: 404, retryable: false, message: 'App not found' },
  CB_ERR_SUPERVISOR_APP_EXISTS: { status: 409, retryable: false, message: 'An app with this name already exists' },
  CB_ERR_SUPERVISOR_APP_NOT_HOSTED: { status: 403, retryable: false, message: 'This app is not assigned to this environment' },
  CB_ERR_SUPERVISOR_APP_NOT_RUNNING: { status: 503, retryable: true, message: 'The app is not running' },
  CB_ERR_SUPERVISOR_PICK_ENVIRONMENT: { status: 400, retryable: false, message: 'The app runs on several environments: pick one with ?environment= or the X-Environment header' },
  CB_ERR_SUPERVISOR_NO_ENVIRONMENT: { status: 503, retryable: true, message: 'No environment of this app is available' },
  CB_ERR_SUPERVISOR_UNKNOWN_ENVIRONMENT: { status: 400, retryable: false, message: 'Unknown environment' },
  CB_ERR_SUPERVISOR_START_FAILED: { status: 502, retryable: false, message: 'The app failed to start on an environment; later environments were not started' },
  CB_ERR_SUPERVISOR_STOP_FAILED: { status: 502, retryable: false, message: 'The app failed to stop on some environments' },
  CB_ERR_SUPERVISOR_COMMAND_TIMEOUT: { status: 504, retryable: true, message: 'The environment did not acknowledge or finish the command in time' },
  CB_ERR_SUPERVISOR_COMMAND_REFUSED: { status: 403, retryable: false, message: 'The environment refused the command' },
  CB_ERR_TASK_NOT_FOUND: { status: 404, retryable: false, message: 'Task not found' },
  CB_ERR_TASK_ID_REQUIRED: { status: 400, retryable: false, message: 'Task id is required' },
  CB_ERR_TASK_NOT_CANCELABLE: { status: 400, retryable: false, message: 'Task cannot be canceled' },
  CB_ERR_TASK_NO_FILE: { status: 400, retryable: false, message: 'The task has no file to fetch (not succeeded, or its file expired)' },
  CB_ERR_TASK_FILE_TOO_LARGE: { status: 413, retryable: false, message: 'The uploaded file is larger than IMPORT_MAX_FILE_SIZE' },
  CB_ERR_TASK_BAD_FILE: { status: 400, retryable: false, message: 'The uploaded file cannot be read as the expected format' },
  CB_ERR_TASK_HEADERS_NOT_FOUND: { status: 400, retryable: false, message: 'Headers not found' },
  CB_ERR_TASK_STORAGE: { status: 503, retryable: true, message: 'STORAGE_PATH is not writable on this node' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof catalogue;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(catalogue, value);
}
