import { Errors } from 'moleculer';
import {
  ClockMovedBackwardsError,
  ClockOutOfRangeError,
  ID_EPOCH_MS,
  NoWorkerIdError,
  createSnowflake,
  decodeId,
  type WorkerIdSource,
} from '../../index.js';

/** A lease the test controls. */
function lease(workerId: number | null = 5): WorkerIdSource & { id: number | null; ok: boolean } {
  return {
    id: workerId,
    ok: true,
    current() {
      return this.id;
    },
    healthy() {
      return this.ok && this.id !== null;
    },
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected next() to throw');
}

function expectStrictlyIncreasing(ids: number[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (!(ids[i]! > ids[i - 1]!)) throw new Error(`ID ${i} (${ids[i]}) is not above ID ${i - 1} (${ids[i - 1]})`);
  }
}

describe('SnowflakeGenerator', () => {
  it('issues strictly increasing IDs carrying its worker ID and the current millisecond', () => {
    const generator = createSnowflake({ workerIds: lease(21) });
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => generator.next());
    const after = Date.now();
    expectStrictlyIncreasing(ids);
    for (const id of [ids[0]!, ids[ids.length - 1]!]) {
      const { timestamp, workerId } = decodeId(id);
      expect(workerId).toBe(21);
      expect(timestamp).toBeGreaterThanOrEqual(before);
      expect(timestamp).toBeLessThanOrEqual(after);
      expect(Number.isSafeInteger(id)).toBe(true);
    }
  });

  it('orders IDs of different workers by time first', () => {
    let now = ID_EPOCH_MS + 1000;
    const a = createSnowflake({ workerIds: lease(31), now: () => now });
    const b = createSnowflake({ workerIds: lease(0), now: () => now });
    const first = a.next();
    now += 1;
    expect(b.next()).toBeGreaterThan(first);
  });

  it('issues 128 IDs in one millisecond, then waits for the next millisecond', () => {
    const start = ID_EPOCH_MS + 5000;
    let reads = 0;
    // The clock stays on `start` for 300 reads, then moves on: the generator must poll through the wait.
    const generator = createSnowflake({ workerIds: lease(2), now: () => (reads++ < 300 ? start : start + 1) });
    const ids = Array.from({ length: 130 }, () => generator.next());
    expectStrictlyIncreasing(ids);
    const decoded = ids.map((id) => decodeId(id));
    expect(decoded.slice(0, 128).every((d, i) => d.timestamp === start && d.sequence === i)).toBe(true);
    expect(decoded[128]).toEqual({ timestamp: start + 1, workerId: 2, sequence: 0 });
    expect(decoded[129]).toEqual({ timestamp: start + 1, workerId: 2, sequence: 1 });
    expect(reads).toBeGreaterThan(300);
  });

  it('waits out a small backwards clock step without repeating or reordering IDs', () => {
    let skew = 0;
    const generator = createSnowflake({ workerIds: lease(), maxBackwardMs: 1000, now: () => Date.now() + skew });
    const ids: number[] = [];
    for (let i = 0; i < 1000; i++) ids.push(generator.next());
    const lastTime = decodeId(ids[ids.length - 1]!).timestamp;
    skew = -40;
    for (let i = 0; i < 1000; i++) ids.push(generator.next());
    expectStrictlyIncreasing(ids);
    expect(decodeId(ids[1000]!).timestamp).toBeGreaterThanOrEqual(lastTime);
  });

  it('refuses a backwards step larger than maxBackwardMs loudly, and resumes once the clock is back', () => {
    let skew = 0;
    const generator = createSnowflake({ workerIds: lease(), maxBackwardMs: 100, now: () => Date.now() + skew });
    const before = generator.next();
    skew = -60_000;
    const error = thrown(() => generator.next());
    expect(error).toBeInstanceOf(ClockMovedBackwardsError);
    expect((error as ClockMovedBackwardsError).type).toBe('CB_ERR_ID_CLOCK_BACKWARDS');
    expect((error as ClockMovedBackwardsError).message).toMatch(/moved backwards by \d+ ms, more than the 100 ms/);
    // Still refused while the clock stays behind.
    expect(thrown(() => generator.next())).toBeInstanceOf(ClockMovedBackwardsError);
    skew = 0;
    expect(generator.next()).toBeGreaterThan(before);
  });

  it('with maxBackwardMs 0 refuses any backwards step', () => {
    let now = ID_EPOCH_MS + 10_000;
    const generator = createSnowflake({ workerIds: lease(), maxBackwardMs: 0, now: () => now });
    generator.next();
    now -= 1;
    expect(thrown(() => generator.next())).toBeInstanceOf(ClockMovedBackwardsError);
  });

  it('refuses to issue without a worker ID, or once the lease is no longer healthy', () => {
    const source = lease(null);
    const generator = createSnowflake({ workerIds: source });
    const none = thrown(() => generator.next());
    expect(none).toBeInstanceOf(NoWorkerIdError);
    expect((none as NoWorkerIdError).type).toBe('CB_ERR_ID_NO_WORKER_ID');
    expect((none as NoWorkerIdError).message).toContain('no worker ID is held');

    source.id = 9;
    expect(decodeId(generator.next()).workerId).toBe(9);
    source.ok = false;
    const lost = thrown(() => generator.next());
    expect(lost).toBeInstanceOf(NoWorkerIdError);
    expect((lost as NoWorkerIdError).message).toContain('the lease on worker ID 9 is no longer valid');
    expect((lost as NoWorkerIdError).retryable).toBe(true);
  });

  it('checks the lease after waiting out a clock step, so a lease that ran out meanwhile stops the ID', () => {
    let skew = 0;
    let leaseEnds = Infinity;
    const source: WorkerIdSource = { current: () => 4, healthy: () => Date.now() < leaseEnds };
    const generator = createSnowflake({ workerIds: source, now: () => Date.now() + skew });
    generator.next();
    skew = -50;
    leaseEnds = Date.now() + 10;
    expect(thrown(() => generator.next())).toBeInstanceOf(NoWorkerIdError);
  });

  it('refuses a clock outside the layout range', () => {
    const early = createSnowflake({ workerIds: lease(), now: () => ID_EPOCH_MS - 1 });
    const error = thrown(() => early.next());
    expect(error).toBeInstanceOf(ClockOutOfRangeError);
    expect((error as ClockOutOfRangeError).message).toContain('2095-09-07T15:47:35.551Z');
    const late = createSnowflake({ workerIds: lease(), now: () => Date.UTC(2096, 0, 1) });
    expect(thrown(() => late.next())).toBeInstanceOf(ClockOutOfRangeError);
  });

  it('refuses a worker-ID source that answers outside 0–31, and bad options', () => {
    const generator = createSnowflake({ workerIds: { current: () => 32, healthy: () => true } });
    expect((thrown(() => generator.next()) as Errors.MoleculerError).type).toBe('CB_ERR_CONFIG_INVALID');
    expect((thrown(() => createSnowflake({ workerIds: lease(), maxBackwardMs: -1 })) as Errors.MoleculerError).message).toContain('maxBackwardMs');
    expect((thrown(() => createSnowflake({} as never)) as Errors.MoleculerError).message).toContain('worker-ID source');
  });
});
