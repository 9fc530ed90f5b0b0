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
  CB_ERR_DATA_DECRYPT: { status: 500, retryable: false, message: "An encrypted value could not be decrypted with this node's AES key (a different APP_AES_SECRET_KEY, or a damaged value)" },
  CB_ERR_AUTH_EMPTY_TOKEN: { status: 401, retryable: false, message: 'Unauthenticated. Please sign in to continue.' },
  CB_ERR_AUTH_INVALID_TOKEN: { status: 401, retryable: false, message: 'Your session has expired. Please sign in again.' },
  CB_ERR_AUTH_BAD_CREDENTIALS: { status: 401, retryable: false, message: 'The username/email or password is incorrect, please re-enter' },
  CB_ERR_AUTH_FORBIDDEN: { status: 403, retryable: false, message: 'No permissions' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof catalogue;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(catalogue, value);
}
