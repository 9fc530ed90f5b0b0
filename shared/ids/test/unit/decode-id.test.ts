import { Errors } from 'moleculer';
import { ID_EPOCH_MS, LAST_TIMESTAMP_MS, MAX_ID, decodeId, encodeId } from '../../index.js';

function validationError(fn: () => unknown): Errors.MoleculerError {
  try {
    fn();
  } catch (error) {
    if (error instanceof Errors.MoleculerError) return error;
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('decodeId / encodeId', () => {
  it('round-trips the corners of the layout', () => {
    const corners = [
      { timestamp: ID_EPOCH_MS, workerId: 0, sequence: 0 },
      { timestamp: ID_EPOCH_MS, workerId: 31, sequence: 127 },
      { timestamp: LAST_TIMESTAMP_MS, workerId: 31, sequence: 127 },
      { timestamp: Date.UTC(2030, 5, 15, 12, 0, 0, 123), workerId: 17, sequence: 64 },
    ];
    for (const parts of corners) expect(decodeId(encodeId(parts))).toEqual(parts);
    expect(encodeId({ timestamp: ID_EPOCH_MS, workerId: 0, sequence: 0 })).toBe(0);
    expect(encodeId({ timestamp: LAST_TIMESTAMP_MS, workerId: 31, sequence: 127 })).toBe(MAX_ID);
  });

  it('places time above worker above sequence', () => {
    expect(encodeId({ timestamp: ID_EPOCH_MS + 1, workerId: 0, sequence: 0 })).toBe(4096);
    expect(encodeId({ timestamp: ID_EPOCH_MS, workerId: 1, sequence: 0 })).toBe(128);
    expect(encodeId({ timestamp: ID_EPOCH_MS, workerId: 0, sequence: 1 })).toBe(1);
  });

  it('accepts an ID given as a decimal string', () => {
    const id = encodeId({ timestamp: ID_EPOCH_MS + 86_400_000, workerId: 3, sequence: 9 });
    expect(decodeId(String(id))).toEqual(decodeId(id));
  });

  it('rejects values no generator produces with CB_ERR_VALIDATION', () => {
    for (const bad of [-1, 1.5, MAX_ID + 1, Number.NaN, Infinity, '12a', '', '-3', '99999999999999999']) {
      const error = validationError(() => decodeId(bad));
      expect(error.type).toBe('CB_ERR_VALIDATION');
      expect(error.code).toBe(400);
      expect(error.message).toContain('Not a snowflake ID');
    }
  });

  it('refuses to encode fields outside the layout', () => {
    for (const parts of [
      { timestamp: ID_EPOCH_MS - 1, workerId: 0, sequence: 0 },
      { timestamp: LAST_TIMESTAMP_MS + 1, workerId: 0, sequence: 0 },
      { timestamp: ID_EPOCH_MS, workerId: 32, sequence: 0 },
      { timestamp: ID_EPOCH_MS, workerId: 0, sequence: 128 },
      { timestamp: ID_EPOCH_MS + 0.5, workerId: 0, sequence: 0 },
    ]) {
      expect(validationError(() => encodeId(parts)).message).toContain('workerId 0–31, sequence 0–127');
    }
  });
});
