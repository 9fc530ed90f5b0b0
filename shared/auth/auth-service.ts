import type { BloomFilter } from '../cache/index.js';
import { cbError } from '../errors/index.js';
import { badCredentialsError, emptyTokenError, invalidTokenError } from './errors.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './password.js';
import type { SignInGuard } from './sign-in-guard.js';
import { qualified, runSql } from '../sql/index.js';
import { PUBLIC_USER_COLUMNS, toPublicUser, type UserRow } from './sql.js';
import type { AuthLogger, CheckResult, SignInResult, SqlRunner, TokenClaims, TokenService } from './types.js';

export interface AuthServiceOptions {
  /** PostgreSQL schema of the app (`users`, `cb_signed_out_tokens`). */
  readonly schema: string;
  /** App name written into tokens and required of them. Default `main`. */
  readonly app?: string;
  readonly tokens: TokenService;
  /**
   * Signed-out token ids, shared by every node (a Redis Bloom filter in a cluster). Consulted first:
   * "not in the filter" means "not signed out" without a database read.
   */
  readonly signedOut: BloomFilter;
  readonly log?: AuthLogger;
  /**
   * How long a user row read for a token is reused on this node, in ms (default 2000; 0 = never).
   * The signed-out check runs on every call whatever this is; only a changed role or a deleted user
   * takes up to this long to apply.
   */
  readonly userCacheMs?: number;
  /** Failed-attempt limits (shared by every node in a cluster). None: unlimited (unit tests). */
  readonly guard?: SignInGuard;
}

export interface SignInInput {
  /** Email or username. */
  readonly account?: unknown;
  readonly password?: unknown;
  /** The client's address, for the per-address limit. */
  readonly ip?: string;
}

const SILENT: AuthLogger = { warn() {}, error() {} };

/**
 * Sign-in, token check and sign-out for one app. Stateless apart from its options: every node builds
 * its own and they agree through the database and the shared Bloom filter. Each method takes the
 * caller's EntityManager (forked per call).
 */
export class AuthService {
  private readonly users: string;
  private readonly blacklist: string;
  private readonly app: string;
  private readonly log: AuthLogger;

  constructor(private readonly options: AuthServiceOptions) {
    this.users = qualified(options.schema, 'users');
    this.blacklist = qualified(options.schema, 'cb_signed_out_tokens');
    this.app = options.app ?? 'main';
    this.log = options.log ?? SILENT;
  }

  /**
   * `account` is matched against email and username (an exact email match wins). Unknown account and
   * wrong password give the same 401, in about the same time.
   */
  async signIn(em: SqlRunner, input: SignInInput): Promise<SignInResult> {
    const { account, password, ip } = input ?? {};
    if (typeof account !== 'string' || account.trim() === '') throw cbError('CB_ERR_VALIDATION', 'Please enter your username or email');
    if (typeof password !== 'string' || password === '') throw cbError('CB_ERR_VALIDATION', 'Please enter a password');
    const guard = this.options.guard;
    await guard?.assertAllowed(this.app, account, ip);
    const { rows } = await runSql<UserRow>(
      em,
      `select ${PUBLIC_USER_COLUMNS}, "password" from ${this.users} where "email" = ? or "username" = ? order by coalesce("email" = ?, false) desc limit 1`,
      [account, account, account],
    );
    const row = rows[0];
    const ok = row?.password ? await verifyPassword(password, row.password) : await verifyAgainstDummy(password);
    if (!row || !ok) {
      await guard?.failed(this.app, account, ip);
      throw badCredentialsError();
    }
    await guard?.succeeded(this.app, account);
    if (needsRehash(row.password!)) await this.rehash(em, row.id, row.password!, password);
    const { token } = this.options.tokens.sign(String(row.id), this.app);
    return { user: toPublicUser(row), roles: row.roles ?? [], token };
  }

  /**
   * The user behind a token. 401 EMPTY_TOKEN without one; 401 INVALID_TOKEN when it is malformed,
   * badly signed, expired, issued for another app, signed out (on any node), or its user is gone.
   * `freshness` (the ACL snapshot key): a user row cached under another key is read again.
   */
  async check(em: SqlRunner, token: string | undefined | null, freshness = ''): Promise<CheckResult> {
    const claims = this.verify(token);
    if (await this.isSignedOut(em, claims.jti)) throw invalidTokenError();
    const row = await this.userRow(em, claims.sub, freshness);
    if (!row) throw invalidTokenError();
    return { user: toPublicUser(row), roles: row.roles ?? [], claims };
  }

  /** An old, cheaper hash is replaced by one at today's cost (only if nobody changed it meanwhile). */
  private async rehash(em: SqlRunner, id: string | number, old: string, password: string): Promise<void> {
    try {
      await runSql(em, `update ${this.users} set "password" = ? where "id" = ? and "password" = ?`, [await hashPassword(password), id, old]);
    } catch (err) {
      this.log.warn(`Re-hashing the password of user ${id} failed (kept the old hash): ${(err as Error).message}`);
    }
  }

  private readonly userCache = new Map<string, { row: UserRow | undefined; until: number; freshness: string }>();

  /**
   * The user row for a token's subject, reused for `userCacheMs` (the hot path of every request) while
   * `freshness` stays the same (the ACL snapshot key: a role change anywhere ends the reuse at once).
   */
  private async userRow(em: SqlRunner, id: string, freshness: string): Promise<UserRow | undefined> {
    const ttl = this.options.userCacheMs ?? 2000;
    const now = Date.now();
    const hit = this.userCache.get(id);
    if (hit && hit.until > now && hit.freshness === freshness) return hit.row;
    const { rows } = await runSql<UserRow>(em, `select ${PUBLIC_USER_COLUMNS} from ${this.users} where "id" = ?`, [id]);
    if (ttl > 0) {
      if (this.userCache.size >= 10_000) this.userCache.clear();
      this.userCache.set(id, { row: rows[0], until: now + ttl, freshness });
    }
    return rows[0];
  }

  /**
   * Signs a token out on every node: its id goes into the shared Bloom filter first, then into the
   * table (kept until the token would have expired). Filter first, so that no moment exists where the
   * table says "signed out" but the filter's fast path still lets the token through; if the filter is
   * unreachable nothing is written and the call fails (503, retryable). Signing out an already
   * signed-out token succeeds (a retried request is harmless).
   */
  async signOut(em: SqlRunner, token: string | undefined | null): Promise<void> {
    const claims = this.verify(token);
    try {
      await this.options.signedOut.add(claims.jti);
    } catch (err) {
      this.log.error(`Sign-out failed: the signed-out token filter is unreachable (${(err as Error).message})`);
      throw cbError('CB_ERR_SERVICE_UNAVAILABLE', 'Sign-out is not possible right now (the shared token list is unreachable); try again');
    }
    await runSql(em, `insert into ${this.blacklist} ("jti", "expires_at") values (?, to_timestamp(?)) on conflict ("jti") do nothing`, [claims.jti, claims.exp]);
  }

  /**
   * Deletes blacklist rows of tokens that have expired anyway (more than `graceSec` ago). Run it now and
   * then (a schedule, or at start); returns the number of rows deleted. The Bloom filter cannot forget:
   * size it for the sign-outs of a few token lifetimes.
   */
  async pruneSignedOut(em: SqlRunner, graceSec = 60): Promise<number> {
    const { rows } = await runSql(em, `delete from ${this.blacklist} where "expires_at" < now() - make_interval(secs => ?) returning "jti"`, [graceSec]);
    return rows.length;
  }

  /**
   * Re-adds every still-valid signed-out token id to the Bloom filter, in batches of `batchSize`.
   * For a filter that lost its content (Redis restarted without persistence, a new filter name): call
   * it at start. Returns the number of ids added.
   */
  async refillSignedOutFilter(em: SqlRunner, batchSize = 1000): Promise<number> {
    let after = '';
    let added = 0;
    for (;;) {
      const { rows } = await runSql<{ jti: string }>(
        em,
        `select "jti" from ${this.blacklist} where "expires_at" > now() and "jti" > ? order by "jti" limit ?`,
        [after, batchSize],
      );
      for (const { jti } of rows) await this.options.signedOut.add(jti);
      added += rows.length;
      if (rows.length < batchSize) return added;
      after = rows[rows.length - 1]!.jti;
    }
  }

  private verify(token: string | undefined | null): TokenClaims {
    if (token === undefined || token === null || token === '') throw emptyTokenError();
    let claims: TokenClaims;
    try {
      claims = this.options.tokens.verify(token);
    } catch {
      throw invalidTokenError();
    }
    if (claims.app !== this.app || !/^\d{1,19}$/.test(claims.sub)) throw invalidTokenError();
    return claims;
  }

  /** Bloom filter first; the table only on a filter hit, or when the filter cannot answer. */
  private async isSignedOut(em: SqlRunner, jti: string): Promise<boolean> {
    try {
      if (!(await this.options.signedOut.mightContain(jti))) return false;
    } catch (err) {
      this.log.warn(`The signed-out token filter is unreachable, checking the database instead (${(err as Error).message})`);
    }
    const { rows } = await runSql(em, `select 1 from ${this.blacklist} where "jti" = ?`, [jti]);
    return rows.length > 0;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
