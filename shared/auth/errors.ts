import type { Errors } from 'moleculer';
import { cbError } from '../errors/index.js';

/**
 * Auth errors. NocoBase's clients (`@nocobase/sdk`, its web client) look at `errors[0].code` and
 * expect `EMPTY_TOKEN` / `INVALID_TOKEN` on a 401, so those errors carry NocoBase's code in
 * `data.nocobaseCode`; the gateway puts it in the response's `code` instead of the catalogue code.
 * Messages are NocoBase's, word for word.
 */
export interface AuthErrorData {
  readonly nocobaseCode?: 'EMPTY_TOKEN' | 'INVALID_TOKEN';
}

/** 401: no token was sent. */
export function emptyTokenError(): Errors.MoleculerError {
  return cbError('CB_ERR_AUTH_EMPTY_TOKEN', undefined, { nocobaseCode: 'EMPTY_TOKEN' } satisfies AuthErrorData);
}

/** 401: the token is malformed, badly signed, expired, for another app, signed out, or its user is gone. */
export function invalidTokenError(): Errors.MoleculerError {
  return cbError('CB_ERR_AUTH_INVALID_TOKEN', undefined, { nocobaseCode: 'INVALID_TOKEN' } satisfies AuthErrorData);
}

/** 401: unknown account or wrong password (one message for both, as NocoBase). */
export function badCredentialsError(): Errors.MoleculerError {
  return cbError('CB_ERR_AUTH_BAD_CREDENTIALS');
}

/** 403 `No permissions`, NocoBase's shape (no code of its own there). */
export function forbiddenError(): Errors.MoleculerError {
  return cbError('CB_ERR_AUTH_FORBIDDEN');
}
