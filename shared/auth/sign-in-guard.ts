import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';
import { createRedisClient } from '../redis/index.js';
import { cbError } from '../errors/index.js';

/** Limits of sign-in attempts (SIGN_IN_* variables). Times in seconds. */
export interface SignInLimits {
  /** Failed attempts of one account within `windowSec` before each further one adds a delay. */
  readonly freeAttempts: number;
  /** Failed attempts of one account within `windowSec` that lock it for `lockoutSec`. */
  readonly maxAttempts: number;
  /** Failed attempts from one IP address within `windowSec` that lock that address for `lockoutSec`. */
  readonly ipMaxAttempts: number;
  readonly windowSec: number;
  readonly lockoutSec: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { freeAttempts: 3, maxAttempts: 10, ipMaxAttempts: 100, windowSec: 900, lockoutSec: 900 };

export type SignInGuardOptions = SignInLimits & ({ readonly type: 'memory' } | { readonly type: 'redis'; readonly url: string }) & { readonly prefix: string };

/**
 * Counts failed sign-ins per account and per IP address, on rate-limiter-flexible: in Redis (atomic
 * Lua, so every node of a cluster counts into the same numbers) or in process. After `freeAttempts`
 * failures of one account each further failure blocks it for a doubling delay (1 s, 2 s, 4 s …), and at
 * `maxAttempts` for `lockoutSec`; a blocked account or address gets 429 with Retry-After before any
 * password is looked at. Accounts are counted by the name typed, whether it exists or not, so the
 * answers never tell. A successful sign-in forgets the account's failures.
 */
export class SignInGuard {
  private readonly client: Redis | null;
  private readonly fails: RateLimiterAbstract;
  private readonly blocks: RateLimiterAbstract;

  constructor(private readonly o: SignInGuardOptions) {
    this.client = o.type === 'redis' ? createRedisClient(o.url, { user: 'The sign-in limits', maxRetriesPerRequest: 2 }) : null;
    const common = { keyPrefix: `${o.prefix}:signin` };
    // `fails` only counts (its points are never exhausted); `blocks` holds the delays and lockouts.
    const fails = { ...common, keyPrefix: `${common.keyPrefix}:fails`, points: Number.MAX_SAFE_INTEGER, duration: o.windowSec };
    const blocks = { ...common, keyPrefix: `${common.keyPrefix}:blocks`, points: 1, duration: 1 };
    this.fails = this.client ? new RateLimiterRedis({ ...fails, storeClient: this.client }) : new RateLimiterMemory(fails);
    this.blocks = this.client ? new RateLimiterRedis({ ...blocks, storeClient: this.client }) : new RateLimiterMemory(blocks);
  }

  async connect(): Promise<void> {
    if (this.client && this.client.status === 'wait') await this.client.connect();
  }

  async close(): Promise<void> {
    if (this.client) await this.client.quit().catch(() => this.client!.disconnect());
  }

  /** Throws 429 (with `retryAfterSec`) while the account or the address is blocked. */
  async assertAllowed(app: string, account: string, ip: string | undefined): Promise<void> {
    const keys = [accountKey(app, account), ...(ip ? [ipKey(app, ip)] : [])];
    const states = await Promise.all(keys.map((k) => this.blocks.get(k)));
    const waitMs = Math.max(0, ...states.map((s) => (s && s.consumedPoints > 1 ? s.msBeforeNext : 0)));
    if (waitMs > 0) throw tooManyAttempts(Math.ceil(waitMs / 1000));
  }

  /** Records a failed attempt; blocks the account (growing delays, then lockout) and the address. */
  async failed(app: string, account: string, ip: string | undefined): Promise<void> {
    const key = accountKey(app, account);
    const n = (await this.fails.penalty(key, 1)).consumedPoints;
    const delay = n >= this.o.maxAttempts ? this.o.lockoutSec : n > this.o.freeAttempts ? Math.min(2 ** (n - this.o.freeAttempts - 1), this.o.lockoutSec) : 0;
    if (delay > 0) await this.blocks.block(key, delay);
    if (ip) {
      const byIp = ipKey(app, ip);
      const m = (await this.fails.penalty(byIp, 1)).consumedPoints;
      if (m >= this.o.ipMaxAttempts) await this.blocks.block(byIp, this.o.lockoutSec);
    }
  }

  /** A successful sign-in: the account's failures are forgotten (the address's are not). */
  async succeeded(app: string, account: string): Promise<void> {
    const key = accountKey(app, account);
    await Promise.all([this.fails.delete(key), this.blocks.delete(key)]);
  }
}

/** The account as typed, case- and space-insensitive, hashed (bounded key length, no emails in Redis). */
function accountKey(app: string, account: string): string {
  return `${app}:a:${createHash('sha256').update(account.trim().toLowerCase()).digest('base64url')}`;
}

function ipKey(app: string, ip: string): string {
  return `${app}:ip:${ip}`;
}

/** 429 CB_ERR_AUTH_TOO_MANY_ATTEMPTS; the gateway turns `retryAfterSec` into Retry-After. */
export function tooManyAttempts(retryAfterSec: number) {
  return cbError('CB_ERR_AUTH_TOO_MANY_ATTEMPTS', `Too many sign-in attempts, try again in ${retryAfterSec} seconds`, { retryAfterSec });
}

export type { RateLimiterRes };
