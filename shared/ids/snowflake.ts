import { ClockMovedBackwardsError, ClockOutOfRangeError, idsConfigError, NoWorkerIdError } from './errors.js';
import { ID_EPOCH_MS, MAX_SEQUENCE, MAX_TIME, MAX_WORKER_ID, TIME_UNIT, WORKER_UNIT } from './layout.js';
import type { SnowflakeOptions, WorkerIdSource } from './types.js';

const DEFAULT_MAX_BACKWARD_MS = 1000;

/** One slot to block on: Atomics.wait sleeps the thread without burning a core. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Issues snowflake IDs (layout in layout.ts). Contract:
 * - IDs from one generator strictly increase and never repeat, whatever the wall clock does: a clock
 *   step back of up to `maxBackwardMs` is waited out (blocking), a larger one throws
 *   ClockMovedBackwardsError until the clock is back within reach; the 129th ID of a millisecond waits
 *   (spinning, < 1 ms) for the next one.
 * - An ID is only returned while the worker-ID source is healthy, checked after any wait: a lost,
 *   expired or released lease makes `next()` throw NoWorkerIdError instead of risking an ID that the
 *   ID's next holder could also issue.
 * - Across nodes, uniqueness rests on the worker-ID lease and on clock skew between nodes staying
 *   below one lease period (an ID changes hands only after a lease period of quarantine).
 *
 * Use one generator per worker-ID lease: two generators on the same lease would repeat each other.
 */
export class SnowflakeGenerator {
  private readonly source: WorkerIdSource;
  private readonly maxBackwardMs: number;
  private readonly now: () => number;
  /** Time field (ms since ID_EPOCH_MS) of the last issued ID; -1 before the first. */
  private lastTime = -1;
  private sequence = 0;

  constructor(options: SnowflakeOptions) {
    const maxBackwardMs = options.maxBackwardMs ?? DEFAULT_MAX_BACKWARD_MS;
    if (!Number.isInteger(maxBackwardMs) || maxBackwardMs < 0) {
      throw idsConfigError(`maxBackwardMs must be an integer ≥ 0 (got ${String(options.maxBackwardMs)})`);
    }
    if (!options.workerIds || typeof options.workerIds.current !== 'function' || typeof options.workerIds.healthy !== 'function') {
      throw idsConfigError('A snowflake generator needs a worker-ID source (current() and healthy()), e.g. a WorkerIdAllocator');
    }
    this.source = options.workerIds;
    this.maxBackwardMs = maxBackwardMs;
    this.now = options.now ?? Date.now;
  }

  /** The next ID. Throws NoWorkerIdError, ClockMovedBackwardsError or ClockOutOfRangeError; never repeats. */
  next(): number {
    let time = this.readTime();
    if (time < this.lastTime) time = this.waitFor(this.lastTime);
    if (time === this.lastTime) {
      if (this.sequence === MAX_SEQUENCE) {
        time = this.waitFor(this.lastTime + 1);
        this.sequence = 0;
      } else {
        this.sequence++;
      }
    } else {
      this.sequence = 0;
    }
    this.lastTime = time;

    const workerId = this.source.current();
    if (workerId === null || !this.source.healthy()) throw new NoWorkerIdError(workerId);
    if (!(Number.isInteger(workerId) && workerId >= 0 && workerId <= MAX_WORKER_ID)) {
      throw idsConfigError(`The worker-ID source returned ${String(workerId)}; worker IDs are 0–${MAX_WORKER_ID}`);
    }
    return time * TIME_UNIT + workerId * WORKER_UNIT + this.sequence;
  }

  /** Milliseconds since ID_EPOCH_MS by the wall clock. */
  private readTime(): number {
    const time = Math.floor(this.now()) - ID_EPOCH_MS;
    if (!(time >= 0 && time <= MAX_TIME)) throw new ClockOutOfRangeError(time + ID_EPOCH_MS);
    return time;
  }

  /** Blocks until the clock reaches `target` (a time field), refusing when it is too far behind the last ID. */
  private waitFor(target: number): number {
    for (;;) {
      const time = this.readTime();
      if (time >= target) return time;
      const behind = this.lastTime - time;
      if (behind > this.maxBackwardMs) throw new ClockMovedBackwardsError(behind, this.maxBackwardMs);
      if (target - time > 1) sleepSync(target - time - 1);
    }
  }
}

/** Creates a generator; see SnowflakeGenerator for the contract. */
export function createSnowflake(options: SnowflakeOptions): SnowflakeGenerator {
  return new SnowflakeGenerator(options);
}
