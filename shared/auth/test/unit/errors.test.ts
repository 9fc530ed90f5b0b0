import { Errors } from 'moleculer';
import { badCredentialsError, bearerToken, emptyTokenError, forbiddenError, invalidTokenError } from '../../index.js';

describe('auth errors carry NocoBase’s messages and codes', () => {
  it.each([
    [emptyTokenError, 401, 'CB_ERR_AUTH_EMPTY_TOKEN', 'Unauthenticated. Please sign in to continue.', 'EMPTY_TOKEN'],
    [invalidTokenError, 401, 'CB_ERR_AUTH_INVALID_TOKEN', 'Your session has expired. Please sign in again.', 'INVALID_TOKEN'],
    [badCredentialsError, 401, 'CB_ERR_AUTH_BAD_CREDENTIALS', 'The username/email or password is incorrect, please re-enter', undefined],
    [forbiddenError, 403, 'CB_ERR_AUTH_FORBIDDEN', 'No permissions', undefined],
  ])('%p', (make, status, type, message, nocobaseCode) => {
    const err = make();
    expect(err).toBeInstanceOf(Errors.MoleculerClientError);
    expect(err.code).toBe(status);
    expect(err.type).toBe(type);
    expect(err.message).toBe(message);
    expect((err.data as { nocobaseCode?: string } | undefined)?.nocobaseCode).toBe(nocobaseCode);
  });
});

describe('bearerToken', () => {
  it('takes the token of a Bearer header, any case, and nothing else', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
