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
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof catalogue;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(catalogue, value);
}
