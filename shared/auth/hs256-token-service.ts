import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TokenError } from './token-error.js';
import type { TokenClaims, TokenService } from './types.js';

export interface Hs256TokenOptions {
  /** APP_KEY: the HMAC-SHA256 key (a string is used as UTF-8). At least 16 bytes. */
  readonly key: string | Buffer;
  /** Lifetime of new tokens in seconds (TOKEN_EXPIRES_IN; NocoBase's default is one day). */
  readonly expiresInSec: number;
  /** Accepted clock difference between nodes when checking `exp` / `nbf`, in seconds. Default 0. */
  readonly clockToleranceSec?: number;
  /** Clock in milliseconds; tests pass their own. Default Date.now. */
  readonly now?: () => number;
}

/** Longest token looked at; anything longer is refused before any decoding. */
const MAX_TOKEN_LENGTH = 4096;
/** Verified tokens remembered per node (cleared whole when full). */
const VERIFIED_CACHE_SIZE = 5000;

/**
 * JWTs (HS256, signed with APP_KEY) through the `jsonwebtoken` library, with the algorithm pinned so
 * `none` and asymmetric algorithms are refused, and `sub`, `jti`, `iat`, `exp` and `app` required.
 * Every refusal becomes a TokenError, which AuthService answers as INVALID_TOKEN.
 */
export class Hs256TokenService implements TokenService {
  private readonly key: Buffer;
  /** Built once: given raw bytes, jsonwebtoken would first try them as a public key on every verify (~60x slower). */
  private readonly secret: KeyObject;
  private readonly expiresInSec: number;
  private readonly tolerance: number;
  private readonly now: () => number;

  constructor(options: Hs256TokenOptions) {
    this.key = typeof options.key === 'string' ? Buffer.from(options.key, 'utf8') : Buffer.from(options.key);
    if (this.key.length < 16) throw new Error('The token signing key (APP_KEY) must be at least 16 bytes');
    this.secret = createSecretKey(this.key);
    if (!Number.isInteger(options.expiresInSec) || options.expiresInSec <= 0) {
      throw new Error(`Token lifetime must be a positive whole number of seconds, got ${options.expiresInSec}`);
    }
    this.expiresInSec = options.expiresInSec;
    this.tolerance = options.clockToleranceSec ?? 0;
    this.now = options.now ?? Date.now;
  }

  sign(subject: string, app: string): { token: string; claims: TokenClaims } {
    const iat = Math.floor(this.now() / 1000);
    const claims: TokenClaims = { sub: subject, jti: randomBytes(16).toString('base64url'), iat, exp: iat + this.expiresInSec, app };
    return { token: jwt.sign({ ...claims }, this.secret, { algorithm: 'HS256' }), claims };
  }

  /**
   * Tokens whose signature, header and claims were checked, with their claims: a token is immutable,
   * so only its expiry is checked again on the next call (signing it again costs ~5 % of a request).
   */
  private readonly verified = new Map<string, TokenClaims>();

  verify(token: string): TokenClaims {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new TokenError('malformed', 'not a token');
    const known = this.verified.get(token);
    if (known !== undefined) {
      // jsonwebtoken's own rule: expired once `now >= exp + tolerance`.
      if (Math.floor(this.now() / 1000) >= known.exp + this.tolerance) {
        this.verified.delete(token);
        throw new TokenError('expired', 'the token has expired');
      }
      return known;
    }
    const claims = this.verifyFully(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear();
    this.verified.set(token, claims);
    return claims;
  }

  private verifyFully(token: string): TokenClaims {
    // Stricter than the library on the header: exactly {alg: HS256, typ?: JWT}, so `crit`, `kid`,
    // `jku` and other algorithms are refused before the signature is even checked.
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded !== 'object') throw new TokenError('malformed', 'not a JWT');
    const header = decoded.header as unknown as Record<string, unknown>;
    if (header.alg !== 'HS256' || !Object.keys(header).every((k) => k === 'alg' || k === 'typ') || (header.typ !== undefined && header.typ !== 'JWT')) {
      throw new TokenError('algorithm', 'the header is not exactly {alg: HS256, typ: JWT}');
    }
    let payload: jwt.JwtPayload | string;
    try {
      payload = jwt.verify(token, this.secret, {
        algorithms: ['HS256'],
        clockTolerance: this.tolerance,
        clockTimestamp: Math.floor(this.now() / 1000),
      });
    } catch (err) {
      throw refusal(err);
    }
    if (typeof payload !== 'object' || payload === null) throw new TokenError('malformed', 'the payload is not a JSON object');
    const { sub, jti, iat, exp, app } = payload as Record<string, unknown>;
    if (
      typeof sub !== 'string' || sub === '' ||
      typeof jti !== 'string' || jti === '' ||
      typeof app !== 'string' ||
      !Number.isFinite(iat) || !Number.isFinite(exp)
    ) {
      throw new TokenError('claims', 'missing or mistyped claims');
    }
    return Object.freeze({ sub, jti, iat: iat as number, exp: exp as number, app });
  }
}

function refusal(err: unknown): TokenError {
  if (err instanceof jwt.TokenExpiredError) return new TokenError('expired', 'the token has expired');
  if (err instanceof jwt.NotBeforeError) return new TokenError('not-yet-valid', 'the token is not valid yet');
  const message = err instanceof Error ? err.message : String(err);
  if (/signature/.test(message) && !/required/.test(message)) return new TokenError('signature', 'bad signature');
  if (/invalid (exp|nbf|iat)|payload/.test(message)) return new TokenError('claims', message);
  if (/algorithm|signature is required/.test(message)) return new TokenError('algorithm', 'the algorithm is not HS256');
  return new TokenError('malformed', message);
}
