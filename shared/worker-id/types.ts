import type { Redis } from 'ioredis';

/**
 * The worker-ID port: leases one of the 32 worker IDs (0–31) that snowflake IDs embed.
 *
 * Contract, for every adapter:
 * - No two live allocators (sharing a store) hold the same ID at the same time.
 * - A released or expired ID is not handed out again until one lease period has passed after the
 *   release or expiry, so an ID issued by its previous holder can never be issued again by the next one
 *   (given clock skew between nodes below one lease period).
 * - The holder renews every `renewEveryMs` (default leaseMs / 3). `healthy()` is true only while the
 *   lease is certainly still this allocator's: it turns false at the lease deadline, measured on this
 *   process's monotonic clock from the moment the last successful renewal was *sent*, even if the event
 *   loop was too busy to run the renewal. A generator that checks `healthy()` on every ID therefore stops
 *   before the store could hand the ID to anyone else.
 * - A lost lease (deadline passed, or the store says it is gone or someone else's) drops the ID
 *   (`current()` turns null) and calls the `onLost` listeners once. With `recover: true` the allocator
 *   then leases again by itself, with backoff (100 ms doubling up to the renewal interval), until it
 *   holds an ID or is released/closed; `onAcquired` listeners hear each lease. Without it the owner
 *   decides (turn unready, call `acquire()` again, or stop).
 * - A store that is new or was wiped (no marker) grants nothing until one lease period after it first
 *   answered: `acquire()` waits that out (docs/ids.md has the argument).
 */
export interface WorkerIdAllocator {
  /** Adapter name, for logs and health output. */
  readonly type: 'memory' | 'redis';
  /**
   * True when leases live in this process only. A node that sees other nodes in its cluster must refuse
   * to start with such an adapter: every process would lease ID 0.
   */
  readonly inProcess: boolean;
  /** Lease length in ms. */
  readonly leaseMs: number;

  /** Opens connections. Idempotent; `acquire()` calls it when needed. */
  connect(): Promise<void>;
  /** Releases a held ID (best effort: if that fails the lease simply expires), stops timers, closes connections it owns. */
  close(): Promise<void>;

  /**
   * Leases a free ID and starts renewing it; resolves to the ID. While an ID is held and healthy it
   * resolves to that ID. Rejects with WorkerIdsExhaustedError when all 32 are leased or cooling down
   * (after retrying for `acquireWaitMs`, default 0), with WorkerIdStoreError when the store is unreachable.
   */
  acquire(): Promise<number>;
  /** Stops issuing (current() turns null at once), then releases the ID into its one-lease cooldown. No-op when none is held. */
  release(): Promise<void>;
  /** The held ID, or null. May still return the ID for a moment after its deadline passed; `healthy()` is the check. */
  current(): number | null;
  /** True while an ID is held and its lease deadline has not passed. */
  healthy(): boolean;
  /** Called once per lost lease (never for `release()`). Returns a function that removes the listener. */
  onLost(listener: (event: LeaseLostEvent) => void): () => void;
  /** Called with the ID each time a lease is taken (the first and every recovered one). */
  onAcquired(listener: (workerId: number) => void): () => void;
  /** Resolves true as soon as a lease is held (at once when it is), false after `timeoutMs` without one. */
  whenHealthy(timeoutMs: number): Promise<boolean>;
}

export interface LeaseLostEvent {
  readonly workerId: number;
  /**
   * `expired`: the lease deadline passed without a successful renewal (store unreachable, process
   * stalled) or the store reports it ran out. `taken`: the store holds no lease of ours for the ID any
   * more (someone else's, released by someone else, or deleted).
   */
  readonly reason: 'expired' | 'taken';
  /** The last renewal error, when renewals failed. */
  readonly error?: unknown;
}

export interface WorkerIdCommonOptions {
  /** Lease length in ms (integer ≥ 50, default 30000). A released or expired ID cools down this long. */
  readonly leaseMs?: number;
  /** Renewal interval in ms (default leaseMs / 3, must be below leaseMs). */
  readonly renewEveryMs?: number;
  /** How long `acquire()` keeps retrying while all IDs are taken, in ms (default 0: refuse at once). */
  readonly acquireWaitMs?: number;
  /** Lease again by itself after a loss, with backoff (default false: the owner calls acquire()). */
  readonly recover?: boolean;
}

export interface MemoryWorkerIdOptions extends WorkerIdCommonOptions {
  readonly type: 'memory' | 'local';
  /** Where leases live; default one store per process, so every allocator in the process shares it. */
  readonly store?: LeaseStore;
}

export interface RedisWorkerIdOptions extends WorkerIdCommonOptions {
  readonly type: 'redis';
  /** Redis URL; ignored when `client` is given. */
  readonly url?: string;
  /** An existing ioredis client; the allocator neither connects nor quits it. */
  readonly client?: Redis;
  /**
   * Key prefix: keys are `<prefix>:worker-id:0` … `:31`. Clusters sharing a Redis need distinct prefixes
   * (each gets its own 32 IDs). On Redis Cluster put a hash tag in it (`{cb}`): the acquire script touches all 32 keys.
   */
  readonly prefix?: string;
}

export type WorkerIdOptions = MemoryWorkerIdOptions | RedisWorkerIdOptions;

/** What a store answers to an acquire: the ID, or how the 32 are taken. */
export type AcquireOutcome =
  | { readonly ok: true; readonly workerId: number }
  | { readonly ok: false; readonly held: number; readonly coolingDown: number; readonly newStore?: undefined }
  /** The store is new or was wiped: it grants nothing for `waitMs` more (one lease period after it first answered). */
  | { readonly ok: false; readonly newStore: true; readonly waitMs: number };

/**
 * The store behind an allocator: atomic operations on 32 lease slots, each either free, held
 * (token + heldUntil) or cooling down (released, or held past heldUntil) for one lease period.
 * Times are the store's own clock. Adapters implement this; LeaseAllocator adds renewal and health.
 */
export interface LeaseStore {
  readonly type: 'memory' | 'redis';
  readonly inProcess: boolean;
  /** Human words for where the IDs live, for error messages (`Redis prefix "cb"`). */
  readonly where: string;
  connect(): Promise<void>;
  close(): Promise<void>;
  /** Takes the lowest free slot for `token`, held until now + leaseMs, cooling down one more leaseMs after that. */
  acquire(token: string, leaseMs: number): Promise<AcquireOutcome>;
  /** Pushes heldUntil to now + leaseMs if `token` holds the slot and heldUntil has not passed. */
  renew(workerId: number, token: string, leaseMs: number): Promise<'renewed' | 'expired' | 'taken'>;
  /** If `token` holds the slot, turns it into a tombstone cooling down for leaseMs. False when it was not ours. */
  release(workerId: number, token: string, leaseMs: number): Promise<boolean>;
}
