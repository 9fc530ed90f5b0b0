import type { BackoffOptions } from './types.js';

/** Wait before the next delivery after failed attempt number `failed` (1-based); BullMQ's formula. */
export function backoffDelay(backoff: BackoffOptions, failed: number): number {
  if (backoff.type === 'fixed') return backoff.delayMs;
  return Math.round(backoff.delayMs * 2 ** Math.max(0, failed - 1));
}
