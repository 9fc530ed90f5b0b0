import { idValidationError } from './errors.js';
import { ID_EPOCH_MS, MAX_ID, MAX_SEQUENCE, MAX_TIME, MAX_WORKER_ID, TIME_UNIT, WORKER_UNIT } from './layout.js';
import type { DecodedId } from './types.js';

/**
 * Splits an ID into its fields. Accepts a number or a decimal string (IDs arrive as both from JSON,
 * query strings and bigint columns); anything that is not an integer in 0..2^53-1 is a CB_ERR_VALIDATION.
 */
export function decodeId(id: number | string): DecodedId {
  const value = typeof id === 'string' && /^\d{1,16}$/.test(id) ? Number(id) : id;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_ID) {
    throw idValidationError(`Not a snowflake ID: ${String(id)} (expected an integer from 0 to 2^53 - 1)`, id);
  }
  const time = Math.floor(value / TIME_UNIT);
  const low = value - time * TIME_UNIT;
  return {
    timestamp: ID_EPOCH_MS + time,
    workerId: Math.floor(low / WORKER_UNIT),
    sequence: low % WORKER_UNIT,
  };
}

/**
 * Builds the ID for given fields. Useful for range queries: `encodeId({ timestamp: t, workerId: 0,
 * sequence: 0 })` is the smallest ID any node can issue at or after `t`.
 */
export function encodeId(parts: DecodedId): number {
  const time = parts.timestamp - ID_EPOCH_MS;
  const ok =
    Number.isSafeInteger(time) && time >= 0 && time <= MAX_TIME &&
    Number.isInteger(parts.workerId) && parts.workerId >= 0 && parts.workerId <= MAX_WORKER_ID &&
    Number.isInteger(parts.sequence) && parts.sequence >= 0 && parts.sequence <= MAX_SEQUENCE;
  if (!ok) {
    throw idValidationError(
      `Cannot encode an ID from ${JSON.stringify(parts)}: timestamp must be an integer ms within ` +
        `${new Date(ID_EPOCH_MS).toISOString()} – ${new Date(ID_EPOCH_MS + MAX_TIME).toISOString()}, ` +
        `workerId 0–${MAX_WORKER_ID}, sequence 0–${MAX_SEQUENCE}`,
      parts,
    );
  }
  return time * TIME_UNIT + parts.workerId * WORKER_UNIT + parts.sequence;
}
