import { Errors } from 'moleculer';
import { catalogue, cbError } from '../errors/index.js';

/**
 * The wait for a busy key ran out. Retryable (503): the holder releases or its lease expires, so the
 * same request may succeed later unchanged; nothing was acquired, so retrying is always safe. 503 rather
 * than 409 because the catalogue's retryable codes are 5xx (Moleculer never retries client errors) and
 * the caller did nothing wrong.
 */
export class LockTimeoutError extends Errors.MoleculerRetryableError {
  constructor(key: string, waitMs: number) {
    const spec = catalogue.CB_ERR_LOCK_TIMEOUT;
    super(`Lock "${key}" is held by another owner; waited ${waitMs} ms`, spec.status, 'CB_ERR_LOCK_TIMEOUT', { key, waitMs });
    this.name = 'LockTimeoutError';
  }
}

/**
 * The lease is gone: it expired (even if nobody took the key since), was taken over, or the token is not
 * the holder's. Retryable at the level of the work: whatever ran under the lock must be redone under a
 * new acquisition; writes it made after the loss are refused by fence checks.
 */
export class LockLostError extends Errors.MoleculerRetryableError {
  constructor(key: string, reason = 'the lease expired or is held by another owner') {
    const spec = catalogue.CB_ERR_LOCK_LOST;
    super(`Lock "${key}" was lost: ${reason}`, spec.status, 'CB_ERR_LOCK_LOST', { key });
    this.name = 'LockLostError';
  }
}

/**
 * A write carried a fence lower than one already seen for its key: a newer holder has written, this
 * writer's lease ended without it knowing. Not retryable: the writer must drop its work.
 */
export class StaleFenceError extends Errors.MoleculerClientError {
  constructor(key: string, fence: number, highest: number) {
    const spec = catalogue.CB_ERR_LOCK_STALE_FENCE;
    super(
      `Stale fencing token for "${key}": ${fence} < ${highest} already seen`,
      spec.status,
      'CB_ERR_LOCK_STALE_FENCE',
      { key, fence, highest },
    );
    this.name = 'StaleFenceError';
  }
}

/** The adapter was closed (or never connected) while a call was made or waiting. */
export function lockClosedError(type: string): Errors.MoleculerError {
  return cbError('CB_ERR_LOCK_CLOSED', `The ${type} lock adapter is closed or not connected`);
}

/** A bad key or option from the caller (400). */
export function lockValidationError(message: string, data?: unknown): Errors.MoleculerError {
  return cbError('CB_ERR_VALIDATION', message, data);
}

/** An unknown adapter type or missing Redis URL: refused when the adapter is resolved. */
export function lockConfigError(message: string): Errors.MoleculerError {
  return cbError('CB_ERR_CONFIG_INVALID', message);
}
