import { Errors } from 'moleculer';
import { catalogue } from '../../../errors/index.js';
import { LockLostError, LockTimeoutError, StaleFenceError } from '../../index.js';

describe('lock errors', () => {
  it.each([
    [new LockTimeoutError('k', 10), 'CB_ERR_LOCK_TIMEOUT'],
    [new LockLostError('k'), 'CB_ERR_LOCK_LOST'],
    [new StaleFenceError('k', 1, 2), 'CB_ERR_LOCK_STALE_FENCE'],
  ] as const)('%p carries its catalogue code, status and retryable flag', (error, code) => {
    expect(error.type).toBe(code);
    expect(error.code).toBe(catalogue[code].status);
    expect(error.retryable).toBe(catalogue[code].retryable);
    expect(error).toBeInstanceOf(catalogue[code].retryable ? Errors.MoleculerRetryableError : Errors.MoleculerClientError);
    expect(error.data).toMatchObject({ key: 'k' });
  });
});
