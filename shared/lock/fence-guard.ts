import { lockValidationError, StaleFenceError } from './errors.js';

/**
 * Where writes land, refuses any carrying a fence lower than the highest already seen for its key.
 *
 * A lock alone cannot stop a holder whose lease ran out while it was paused (GC, SIGSTOP, a slow
 * network) from writing afterwards: it still believes it holds the lock. The fence it got at acquire
 * time is lower than the next holder's, so the write target can tell them apart. Equal fences pass: one
 * holder may write many times.
 *
 * Use this class when the writes go through one process (e.g. the service that owns a file or an
 * external API client). It keeps one number per key for the life of the process; `forget` a key when
 * the resource is deleted. When the writes land in a database, keep the fence in the row itself and put
 * the check in the same statement, so it is atomic with the write:
 *
 *   UPDATE executions SET state = $1, fence = $2 WHERE id = $3 AND fence <= $2
 *   -- 0 rows: a newer holder has written; throw StaleFenceError and drop the work.
 *   INSERT INTO t (id, v, fence) VALUES ($1, $2, $3)
 *     ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, fence = EXCLUDED.fence WHERE t.fence <= EXCLUDED.fence
 *
 * In Redis, `redisFencedSet` does the same with a Lua script. Fences compare only within one lock key:
 * the row (or Redis key) must be guarded by exactly one lock key.
 */
export class FenceGuard {
  private readonly highest = new Map<string, number>();

  /** Records `fence` for `key`, or throws StaleFenceError when a higher one was already seen. */
  check(key: string, fence: number): void {
    if (!Number.isSafeInteger(fence) || fence < 1) throw lockValidationError('A fence must be a whole number ≥ 1', { key, fence });
    const seen = this.highest.get(key) ?? 0;
    if (fence < seen) throw new StaleFenceError(key, fence, seen);
    this.highest.set(key, fence);
  }

  /** Like `check`, as a boolean: true (and recorded) when the write may go ahead. */
  accepts(key: string, fence: number): boolean {
    try {
      this.check(key, fence);
      return true;
    } catch (err) {
      if (err instanceof StaleFenceError) return false;
      throw err;
    }
  }

  /** The highest fence seen for `key`, or 0 when none. */
  highestFor(key: string): number {
    return this.highest.get(key) ?? 0;
  }

  /** Drops what is known of `key` (its resource is gone); the next fence of any value is accepted. */
  forget(key: string): void {
    this.highest.delete(key);
  }
}
