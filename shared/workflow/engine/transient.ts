import { isRetryableInfrastructureError } from '../../errors/index.js';

/**
 * Failures of the infrastructure rather than of the workflow (the catalogue's retryable flag, a lost
 * or refused database/Redis/RabbitMQ connection, a serialization failure or deadlock): the step did
 * not commit; the execution is left to its lease, and another delivery (or the sweep) resumes it from
 * its journal, instead of recording an ERROR that a retry would not have produced.
 */
export function isTransient(err: unknown): boolean {
  return isRetryableInfrastructureError(err);
}
