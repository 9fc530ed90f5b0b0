import { catalogue, isErrorCode, unavailableDependency, type ErrorCode } from '../errors/index.js';
import type { ErrorBody } from './types.js';

export interface MappedError {
  readonly status: number;
  readonly body: ErrorBody;
  /** True when the client got a generic message and the cause must be logged. */
  readonly internal: boolean;
  /** Seconds for a Retry-After header (429 CB_ERR_AUTH_TOO_MANY_ATTEMPTS; retryable 503s: an outage of a dependency, a draining node). */
  readonly retryAfterSec?: number;
}

/** What a client waits before retrying a 503 of an outage: about the time a restart takes. */
export const RETRY_AFTER_SEC = 2;

interface MoleculerLike {
  name?: string;
  message?: string;
  code?: unknown;
  type?: unknown;
  data?: unknown;
}

/**
 * PostgreSQL errors that only bad input causes, whichever path reached the database: a NUL or
 * invalid byte (22021), too many columns (54011). Their own message is not shown (it may quote SQL).
 */
const PG_INPUT_ERRORS: Record<string, string> = {
  '22021': 'A value contains a character that cannot be stored (such as NUL, \\u0000)',
  '54011': 'Too many fields: PostgreSQL tables hold at most 1600 columns',
};

const MOLECULER_UNAVAILABLE = new Set(['ServiceNotFoundError', 'ServiceNotAvailableError', 'MaxCallLevelError', 'QueueIsFullError']);

function body(message: string, code: string): ErrorBody {
  return { errors: [{ message, code }] };
}

function validationMessage(data: unknown): string {
  if (Array.isArray(data) && data.length > 0) {
    return data
      .map((d: { message?: string; field?: string }) => d.message ?? `invalid ${d.field ?? 'parameter'}`)
      .join('; ');
  }
  return catalogue.CB_ERR_VALIDATION.message;
}

/**
 * Turns any error an action threw (local or remote) into a status and NocoBase's error envelope.
 * Catalogue errors keep their message and code; Moleculer's own errors map to their meaning;
 * anything else is a 500 with a generic message — a client never sees a stack or an internal message.
 */
export function mapError(err: unknown): MappedError {
  const e = (err ?? {}) as MoleculerLike;
  if (isErrorCode(e.type)) {
    const code: ErrorCode = e.type;
    const spec = catalogue[code];
    const status = typeof e.code === 'number' && e.code >= 400 && e.code < 600 ? e.code : spec.status;
    const internal = status >= 500 && !spec.retryable && code === 'CB_ERR_INTERNAL';
    // NocoBase's clients react to their own codes (EMPTY_TOKEN, INVALID_TOKEN): those win when given.
    const nocobase = (e.data as { nocobaseCode?: unknown } | undefined)?.nocobaseCode;
    const shown = typeof nocobase === 'string' ? nocobase : code;
    const ownRetry = (e.data as { retryAfterSec?: unknown } | undefined)?.retryAfterSec;
    const retry = typeof ownRetry === 'number' ? { retryAfterSec: ownRetry } : status === 503 && spec.retryable ? { retryAfterSec: RETRY_AFTER_SEC } : {};
    return { status, body: body(internal ? spec.message : (e.message ?? spec.message), shown), internal, ...retry };
  }
  if (typeof e.code === 'string' && PG_INPUT_ERRORS[e.code]) {
    return { status: 400, body: body(PG_INPUT_ERRORS[e.code]!, 'CB_ERR_VALIDATION'), internal: false };
  }
  if (e.name === 'ValidationError' || e.type === 'VALIDATION_ERROR') {
    return { status: 400, body: body(validationMessage(e.data), 'CB_ERR_VALIDATION'), internal: false };
  }
  if (e.name && MOLECULER_UNAVAILABLE.has(e.name)) {
    return { status: 503, body: body(catalogue.CB_ERR_SERVICE_UNAVAILABLE.message, 'CB_ERR_SERVICE_UNAVAILABLE'), internal: false, retryAfterSec: RETRY_AFTER_SEC };
  }
  // PostgreSQL stopped the work at the request's deadline (statement / idle-in-transaction timeout):
  // it rolled back, as a 504 promises.
  if (e.code === '57014' || e.code === '25P03') {
    return { status: 504, body: body(catalogue.CB_ERR_REQUEST_TIMEOUT.message, 'CB_ERR_REQUEST_TIMEOUT'), internal: false };
  }
  if (e.name === 'RequestTimeoutError') {
    return { status: 504, body: body(catalogue.CB_ERR_REQUEST_TIMEOUT.message, 'CB_ERR_REQUEST_TIMEOUT'), internal: false };
  }
  if (typeof e.code === 'number' && e.code >= 400 && e.code < 500 && typeof e.message === 'string') {
    const code = typeof e.type === 'string' && e.type !== '' ? e.type : 'CB_ERR_VALIDATION';
    return { status: e.code, body: body(e.message, code), internal: false };
  }
  // A dependency outage (database, Redis) is a 503 naming it, never a 500: the client retries.
  const dependency = unavailableDependency(err);
  if (dependency) return { status: 503, body: body(catalogue[dependency].message, dependency), internal: false, retryAfterSec: RETRY_AFTER_SEC };
  return { status: 500, body: body(catalogue.CB_ERR_INTERNAL.message, 'CB_ERR_INTERNAL'), internal: true };
}
