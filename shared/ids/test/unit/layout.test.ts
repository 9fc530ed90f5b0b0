import {
  ID_EPOCH_MS,
  LAST_TIMESTAMP_MS,
  MAX_ID,
  MAX_SEQUENCE,
  MAX_WORKER_ID,
  SEQUENCE_BITS,
  TIME_BITS,
  WORKER_ID_BITS,
} from '../../index.js';

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

describe('snowflake layout', () => {
  it('uses 41 time bits, 5 worker bits and 7 sequence bits: 53 in all', () => {
    expect([TIME_BITS, WORKER_ID_BITS, SEQUENCE_BITS]).toEqual([41, 5, 7]);
    expect(TIME_BITS + WORKER_ID_BITS + SEQUENCE_BITS).toBe(53);
  });

  it('keeps every ID a safe JSON number (at most 2^53 - 1)', () => {
    expect(MAX_ID).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('counts milliseconds from 2026-01-01T00:00:00Z for more than 60 years', () => {
    expect(new Date(ID_EPOCH_MS).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(new Date(LAST_TIMESTAMP_MS).toISOString()).toBe('2095-09-07T15:47:35.551Z');
    expect((LAST_TIMESTAMP_MS - ID_EPOCH_MS) / YEAR_MS).toBeGreaterThanOrEqual(60);
    // One bit fewer would not reach 60 years.
    expect(2 ** (TIME_BITS - 1) / YEAR_MS).toBeLessThan(60);
  });

  it('gives each node 128 IDs per millisecond, 128,000 per second, across 32 worker IDs', () => {
    expect((MAX_SEQUENCE + 1) * 1000).toBe(128_000);
    expect(MAX_WORKER_ID + 1).toBe(32);
  });
});
