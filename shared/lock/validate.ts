import { lockValidationError } from './errors.js';

/** Longest key accepted, in characters: keys are names, not payloads. */
export const MAX_KEY_LENGTH = 512;

/** Checks a lock key; every adapter applies the same rule so the contract suite holds for all. */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw lockValidationError(`A lock key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`, { key });
  }
  return key;
}

/** A lease length: a whole number of milliseconds, at least 1 (Redis PX takes integers). */
export function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw lockValidationError('ttlMs must be a whole number of milliseconds ≥ 1', { ttlMs });
  }
  return ttlMs;
}

/** A wait: 0 (try once) or more milliseconds; undefined means 0. */
export function checkWait(waitMs: unknown): number {
  if (waitMs === undefined) return 0;
  if (typeof waitMs !== 'number' || !Number.isFinite(waitMs) || waitMs < 0) {
    throw lockValidationError('waitMs must be a number of milliseconds ≥ 0', { waitMs });
  }
  return Math.floor(waitMs);
}

export function checkToken(token: unknown): string {
  if (typeof token !== 'string' || token.length === 0) throw lockValidationError('A lock token must be a non-empty string');
  return token;
}
