import { catalogue, isErrorCode } from './catalogue.js';

/** PostgreSQL SQLSTATEs of a lost or refused session, a server shutting down or starting, and retryable conflicts. */
const PG_RETRYABLE = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '25P03', '53300']);
const NET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const MESSAGES =
  /Connection terminated|connection is closed|Connection is closed|terminating connection|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|Reached the max retries per request limit|Stream isn't writeable|Channel closed|Connection closed|timeout exceeded when trying to connect/i;

/**
 * True for a failure of the infrastructure rather than of the work: a database, Redis or RabbitMQ
 * connection lost, refused or timing out, a server starting up or shutting down, a serialization
 * failure, or any catalogue error whose retryable flag is set (no worker-ID lease yet, lock store
 * down, a transporter timeout…). Such an error never fails the work it interrupted: the work is
 * retried or released for another attempt. Anything else (bad input, an expression error) is the
 * work's own outcome.
 */
export function isRetryableInfrastructureError(err: unknown, depth = 0): boolean {
  if (err === null || typeof err !== 'object' || depth > 3) return false;
  const e = err as { code?: unknown; type?: unknown; retryable?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const type = typeof e.type === 'string' ? e.type : '';
  if (isErrorCode(type)) return catalogue[type].retryable;
  const code = typeof e.code === 'string' ? e.code : '';
  if (isErrorCode(code)) return catalogue[code].retryable;
  if (/^08/.test(code) || PG_RETRYABLE.has(code) || NET_CODES.has(code)) return true;
  if (e.retryable === true) return true;
  if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isRetryableInfrastructureError(inner, depth + 1))) return true; // AggregateError
  return e.cause !== undefined && isRetryableInfrastructureError(e.cause, depth + 1);
}

const PG_MESSAGES = /Connection terminated|terminating connection|the database system is|Client has encountered a connection error|timeout exceeded when trying to connect|connect ECONNREFUSED.*:5432/i;
const REDIS_MESSAGES = /Reached the max retries per request limit|Stream isn't writeable|Connection is closed|enableOfflineQueue|MaxRetriesPerRequest/i;

/**
 * Which dependency an infrastructure error names, for the 503 a client gets: the database
 * (`CB_ERR_DB_UNAVAILABLE`), Redis (`CB_ERR_REDIS_UNAVAILABLE`), or null when it cannot tell.
 */
export function unavailableDependency(err: unknown, depth = 0): 'CB_ERR_DB_UNAVAILABLE' | 'CB_ERR_REDIS_UNAVAILABLE' | null {
  if (err === null || typeof err !== 'object' || depth > 3) return null;
  const e = err as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (/^08/.test(code) || /^57P0/.test(code) || PG_MESSAGES.test(message) || /^(Driver|Connection)Exception$/.test(String(e.name))) return 'CB_ERR_DB_UNAVAILABLE';
  if (REDIS_MESSAGES.test(message) || e.name === 'MaxRetriesPerRequestError') return 'CB_ERR_REDIS_UNAVAILABLE';
  return e.cause !== undefined ? unavailableDependency(e.cause, depth + 1) : null;
}
