import type { TokenFailure } from './types.js';

/** A token was refused by a TokenService. AuthService turns every one into INVALID_TOKEN (401). */
export class TokenError extends Error {
  constructor(readonly reason: TokenFailure, message: string) {
    super(message);
    this.name = 'TokenError';
  }
}
