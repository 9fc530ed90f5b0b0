import type { Errors } from 'moleculer';
import { cbError } from '../errors/index.js';

/** A publish argument that is not JSON (undefined, a function, a BigInt, a cycle). */
export function invalidMessage(detail: string): Errors.MoleculerError {
  return cbError('CB_ERR_QUEUE_INVALID_MESSAGE', `The message is not JSON the queue can carry: ${detail}`);
}

/** A bad channel name or option passed by the caller. */
export function invalidArgument(detail: string): Errors.MoleculerError {
  return cbError('CB_ERR_VALIDATION', detail);
}

export function queueClosed(): Errors.MoleculerError {
  return cbError('CB_ERR_QUEUE_CLOSED');
}

export function queueUnavailable(detail: string, cause?: unknown): Errors.MoleculerError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return cbError('CB_ERR_QUEUE_UNAVAILABLE', `${detail}${reason}`);
}

export function queueConfig(detail: string): Errors.MoleculerError {
  return cbError('CB_ERR_CONFIG_INVALID', detail);
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
