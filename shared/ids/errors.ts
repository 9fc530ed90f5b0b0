import { Errors } from 'moleculer';
import { catalogue, cbError } from '../errors/index.js';
import { ID_EPOCH_MS, LAST_TIMESTAMP_MS } from './layout.js';

/**
 * The generator's worker-ID source holds no valid lease (never acquired, released, expired, taken over,
 * or the store unreachable past the lease). The generator refuses rather than risk an ID another node
 * may also issue. Retryable: once the node leases a worker ID again the same call succeeds.
 */
export class NoWorkerIdError extends Errors.MoleculerRetryableError {
  constructor(workerId: number | null) {
    const spec = catalogue.CB_ERR_ID_NO_WORKER_ID;
    const what = workerId === null ? 'no worker ID is held' : `the lease on worker ID ${workerId} is no longer valid`;
    super(
      `Refusing to issue an ID: ${what}. IDs resume once this node leases a worker ID again.`,
      spec.status,
      'CB_ERR_ID_NO_WORKER_ID',
      { workerId },
    );
    this.name = 'NoWorkerIdError';
  }
}

/**
 * The clock is further behind the last issued ID's time than the generator waits out. Issuing now could
 * repeat an ID; waiting that long would stall the process. Not retryable by the caller: the clock (NTP,
 * a VM restore) needs attention; the generator resumes by itself once the clock is back within reach.
 */
export class ClockMovedBackwardsError extends Errors.MoleculerError {
  constructor(behindMs: number, maxBackwardMs: number) {
    const spec = catalogue.CB_ERR_ID_CLOCK_BACKWARDS;
    super(
      `The system clock moved backwards by ${behindMs} ms, more than the ${maxBackwardMs} ms the ID generator waits out; ` +
        'refusing to issue IDs until the clock passes the last issued ID\'s time. Check NTP / the host clock.',
      spec.status,
      'CB_ERR_ID_CLOCK_BACKWARDS',
      { behindMs, maxBackwardMs },
    );
    this.name = 'ClockMovedBackwardsError';
  }
}

/** The clock reads before the layout's epoch or after its last representable millisecond. */
export class ClockOutOfRangeError extends Errors.MoleculerError {
  constructor(nowMs: number) {
    const spec = catalogue.CB_ERR_ID_CLOCK_RANGE;
    super(
      `The system clock (${nowMs} ms) is outside the ID layout's range ` +
        `${new Date(ID_EPOCH_MS).toISOString()} – ${new Date(LAST_TIMESTAMP_MS).toISOString()}`,
      spec.status,
      'CB_ERR_ID_CLOCK_RANGE',
      { nowMs },
    );
    this.name = 'ClockOutOfRangeError';
  }
}

/** A value given to decodeId / encodeId that no generator could have produced or consumed (400). */
export function idValidationError(message: string, value: unknown): Errors.MoleculerError {
  return cbError('CB_ERR_VALIDATION', message, { value: typeof value === 'string' ? value : JSON.stringify(value) });
}

/** Bad generator options (an unusable epoch-relative clock, a negative wait): a configuration error. */
export function idsConfigError(message: string): Errors.MoleculerError {
  return cbError('CB_ERR_CONFIG_INVALID', message);
}
