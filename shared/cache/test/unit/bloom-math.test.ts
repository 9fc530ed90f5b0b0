import { bloomParameters, bloomPositions } from '../../index.js';

describe('bloomParameters', () => {
  it('sizes by the standard formulas', () => {
    expect(bloomParameters(1000, 0.01)).toEqual({ bits: 9586, hashes: 7 });
    expect(bloomParameters(1_000_000, 0.001)).toEqual({ bits: 14_377_588, hashes: 10 });
    expect(bloomParameters(1, 0.5)).toEqual({ bits: 2, hashes: 1 });
  });

  it('refuses sizes that make no sense or exceed a Redis string', () => {
    expect(() => bloomParameters(0, 0.01)).toThrow(/expectedItems/);
    expect(() => bloomParameters(10, 0)).toThrow(/falsePositiveRate/);
    expect(() => bloomParameters(10, 1)).toThrow(/falsePositiveRate/);
    expect(() => bloomParameters(1e9, 1e-6)).toThrow(/2\^32/);
  });
});

describe('bloomPositions', () => {
  it('gives k positions inside the bit array, the same ones every time', () => {
    const params = { bits: 9586, hashes: 7 };
    const positions = bloomPositions('token-1', params);
    expect(positions).toHaveLength(7);
    for (const p of positions) {
      expect(Number.isInteger(p)).toBe(true);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(9586);
    }
    expect(bloomPositions('token-1', params)).toEqual(positions);
    expect(bloomPositions('token-2', params)).not.toEqual(positions);
  });

  it('stays exact for the largest filter Redis can hold', () => {
    const params = { bits: 2 ** 32, hashes: 30 };
    for (const p of bloomPositions('x', params)) {
      expect(Number.isSafeInteger(p)).toBe(true);
      expect(p).toBeLessThan(2 ** 32);
    }
  });
});
