import { FenceGuard, StaleFenceError } from '../../index.js';

describe('FenceGuard', () => {
  it('accepts growing and equal fences for a key', () => {
    const guard = new FenceGuard();
    expect(() => guard.check('k', 1)).not.toThrow();
    expect(() => guard.check('k', 1)).not.toThrow();
    expect(() => guard.check('k', 5)).not.toThrow();
    expect(guard.highestFor('k')).toBe(5);
  });

  it('refuses a fence lower than one already seen, with CB_ERR_LOCK_STALE_FENCE', () => {
    const guard = new FenceGuard();
    guard.check('k', 7);
    expect(() => guard.check('k', 6)).toThrow(StaleFenceError);
    expect(() => guard.check('k', 6)).toThrow(expect.objectContaining({ type: 'CB_ERR_LOCK_STALE_FENCE', code: 409, retryable: false }));
    expect(guard.highestFor('k')).toBe(7);
  });

  it('keeps keys apart', () => {
    const guard = new FenceGuard();
    guard.check('a', 9);
    expect(guard.accepts('b', 1)).toBe(true);
    expect(guard.accepts('a', 8)).toBe(false);
  });

  it('accepts any fence again once a key is forgotten', () => {
    const guard = new FenceGuard();
    guard.check('k', 9);
    guard.forget('k');
    expect(guard.accepts('k', 1)).toBe(true);
  });

  it('refuses something that is not a fence', () => {
    const guard = new FenceGuard();
    expect(() => guard.check('k', 0)).toThrow(expect.objectContaining({ type: 'CB_ERR_VALIDATION' }));
    expect(() => guard.check('k', 1.5)).toThrow(expect.objectContaining({ type: 'CB_ERR_VALIDATION' }));
  });
});
