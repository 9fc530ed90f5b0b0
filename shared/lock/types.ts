import type { Redis } from 'ioredis';

/**
 * The lock port: leases on named keys with fencing tokens.
 *
 * A lock is a lease: it ends at `release` or when its TTL runs out, whichever comes first, and the
 * holder cannot tell from the inside that it ran out (a paused process, a GC stop, a slow network).
 * That is why every acquisition also gets a fence: a per-key integer that only ever grows, across
 * releases, expiries and adapter restarts. Code that writes under a lock passes the fence along and the
 * place where the write lands refuses a fence lower than one it has already seen (see fence-guard.ts).
 */

/** What `acquire` hands back. The token is the holder's secret: it is the only way to extend or release. */
export interface LockHandle {
  /** The key as the caller named it (without the adapter's prefix). */
  readonly key: string;
  /** Random secret proving ownership; never listed, never logged. */
  readonly token: string;
  /** Per-key fencing token, strictly greater than every earlier acquisition's of the same key. */
  readonly fence: number;
  /**
   * Epoch milliseconds (this process's clock) by which the lease has certainly not yet ended: computed
   * from the moment the request was sent, so it is never later than the store's own expiry.
   */
  readonly expiresAt: number;
}

export interface AcquireOptions {
  /** Lease length in milliseconds (integer ≥ 1). */
  readonly ttlMs: number;
  /** How long to wait for a busy key before LockTimeoutError; 0 (default) tries exactly once. */
  readonly waitMs?: number;
  /** Aborts the wait; the promise then rejects with `signal.reason` and nothing is held. */
  readonly signal?: AbortSignal;
}

/** One held lock as `list` shows it. Tokens are deliberately absent: a listing must not let its reader release or extend. */
export interface LockInfo {
  readonly key: string;
  readonly fence: number;
  /** Epoch milliseconds (this process's clock), approximate: the store's remaining TTL added to now. */
  readonly expiresAt: number;
}

export interface LockAdapter {
  /** Adapter name, for logs and health output. */
  readonly type: 'memory' | 'redis';
  /**
   * True when locks live in this process only. A node that sees other nodes in its cluster must refuse
   * to start with such an adapter: two processes would each grant the same key.
   */
  readonly inProcess: boolean;

  /** Opens connections (and checks the store answers). Idempotent. */
  connect(): Promise<void>;
  /** Ends pending waits (they reject with CB_ERR_LOCK_CLOSED) and closes connections it owns. Held locks are left to expire. */
  close(): Promise<void>;

  /**
   * Takes the key if free, else waits up to `waitMs` for it. Rejects with LockTimeoutError when the wait
   * runs out, with `signal.reason` when aborted, with CB_ERR_VALIDATION for a bad key or option.
   */
  acquire(key: string, options: AcquireOptions): Promise<LockHandle>;
  /**
   * Pushes the lease end to now + `ttlMs` and returns the new `expiresAt`. Only the live holder may:
   * after expiry (even if nobody took the key since) or with a wrong token it rejects with LockLostError.
   */
  extend(key: string, token: string, ttlMs: number): Promise<number>;
  /** Ends the lease. False when the token does not hold the key any more (expired, taken over, wrong). */
  release(key: string, token: string): Promise<boolean>;
  /** Locks currently held, optionally only keys starting with `prefix`, sorted by key. Never includes tokens. */
  list(prefix?: string): Promise<LockInfo[]>;
}

/** Polling of a busy key by adapters that cannot be notified (Redis): exponential backoff with jitter. */
export interface RetryOptions {
  /** First wait between attempts, in ms (default 5). */
  readonly retryMinMs?: number;
  /** Longest wait between attempts, in ms (default 100). */
  readonly retryMaxMs?: number;
}

/** Each memory adapter instance is its own namespace: keys are shared only by callers of the same instance. */
export interface MemoryLockOptions {
  readonly type: 'memory' | 'local';
}

export interface RedisLockOptions extends RetryOptions {
  readonly type: 'redis';
  /** Redis URL; ignored when `client` is given. */
  readonly url?: string;
  /**
   * An existing ioredis client to share. The adapter then neither connects nor quits it (its owner does);
   * with `url`, the adapter owns its client.
   */
  readonly client?: Redis;
  /**
   * Namespace of every Redis key (e.g. the app name): keys are `<prefix>:lock:{<key>}` and the fence
   * counters `<prefix>:fence:{<key>}`. Default `cb`. May not contain `{` or `}`.
   */
  readonly prefix?: string;
}

/** What `resolveLockAdapter` accepts: a type name, a redis:// URL, or full options. */
export type LockAdapterConfig = 'memory' | 'local' | 'redis' | string | MemoryLockOptions | RedisLockOptions;
