import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../errors/index.js';

/** The EntityManager the auth code runs its SQL through (forked per call by the caller). */
export type SqlRunner = Pick<EntityManager, 'transactional' | 'getTransactionContext' | 'getConnection'>;

/** Where auth writes warnings (default root password, Bloom filter unreachable). A Moleculer logger fits. */
export type AuthLogger = Pick<Logger, 'warn' | 'error'>;

/** Claims of a clusterbase token. Times are seconds since the epoch, as JWT has them. */
export interface TokenClaims {
  /** User id (a snowflake id as a decimal string). */
  readonly sub: string;
  /** Random token id: what sign-out blacklists. */
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  /** App the token was issued for; a token of another app is refused. */
  readonly app: string;
}

/**
 * Issues and checks signed tokens (`Hs256TokenService`: jsonwebtoken, HS256 pinned).
 */
export interface TokenService {
  /** A new token for `subject` in `app`, valid for the service's lifetime from now. */
  sign(subject: string, app: string): { readonly token: string; readonly claims: TokenClaims };
  /** The claims of a well-formed, correctly signed, unexpired token; throws TokenError otherwise. */
  verify(token: string): TokenClaims;
}

/** Why a token was refused. Never shown to clients (they all get INVALID_TOKEN); for logs and tests. */
export type TokenFailure = 'malformed' | 'algorithm' | 'signature' | 'claims' | 'expired' | 'not-yet-valid';

/** A user as returned to clients: never the password hash. */
export interface PublicUser {
  /** Snowflake id; below 2^53, so a JSON number as NocoBase returns it. */
  readonly id: number;
  readonly username: string | null;
  readonly email: string | null;
  readonly nickname: string | null;
  /** ISO 8601 UTC with milliseconds, e.g. `2026-11-22T08:40:15.967Z`. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SignInResult {
  readonly user: PublicUser;
  readonly roles: readonly string[];
  readonly token: string;
}

export interface CheckResult {
  readonly user: PublicUser;
  readonly roles: readonly string[];
  readonly claims: TokenClaims;
}

/** Per-collection action rules: `{ products: { member: ['list', 'get'], anonymous: ['list'] } }`. */
export type PermissionRules = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
