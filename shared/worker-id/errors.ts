import { Errors } from 'moleculer';
import { catalogue, cbError } from '../errors/index.js';

export const WORKER_ID_COUNT = 32;

/**
 * Every one of the 32 IDs is held by a live node or cooling down after a release or expiry. Retryable:
 * IDs free up as nodes stop and cooldowns end. At start-up it is a refusal: the node must not issue IDs.
 */
export class WorkerIdsExhaustedError extends Errors.MoleculerRetryableError {
  constructor(held: number, coolingDown: number, leaseMs: number, where: string) {
    const spec = catalogue.CB_ERR_WORKER_ID_EXHAUSTED;
    const cooling = coolingDown > 0
      ? `, ${coolingDown} released or expired and cooling down (each free again within ${leaseMs} ms)`
      : '';
    super(
      `All ${WORKER_ID_COUNT} worker IDs are leased (${where}): ${held} held by running nodes${cooling}. ` +
        `A cluster can run at most ${WORKER_ID_COUNT} nodes that issue IDs. Stop or scale down nodes` +
        (coolingDown > 0 ? ', or retry after the cooldown' : ', or retry once a node has stopped') +
        '; if several clusters share this store, give each its own prefix.',
      spec.status,
      'CB_ERR_WORKER_ID_EXHAUSTED',
      { held, coolingDown, leaseMs, where },
    );
    this.name = 'WorkerIdsExhaustedError';
  }
}

/** The store did not answer (Redis down, refused, timed out). Nothing was acquired or released. */
export class WorkerIdStoreError extends Errors.MoleculerRetryableError {
  constructor(where: string, operation: string, cause: unknown) {
    const spec = catalogue.CB_ERR_WORKER_ID_STORE;
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`The worker-ID store (${where}) did not answer ${operation}: ${reason}`, spec.status, 'CB_ERR_WORKER_ID_STORE', {
      where,
      operation,
      reason,
    });
    this.name = 'WorkerIdStoreError';
  }
}

/** An unknown adapter type, a missing Redis URL, a bad interval: refused when the allocator is resolved. */
export function workerIdConfigError(message: string): Errors.MoleculerError {
  return cbError('CB_ERR_CONFIG_INVALID', message);
}
