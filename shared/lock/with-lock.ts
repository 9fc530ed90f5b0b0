import { LockLostError } from './errors.js';
import type { LockAdapter } from './types.js';

export interface WithLockOptions {
  /** Lease length in ms; the lease is renewed to this length on every renewal. */
  readonly ttlMs: number;
  /** How long to wait for a busy key (default 0: try once, else LockTimeoutError). */
  readonly waitMs?: number;
  /** Renewal period in ms; default a third of `ttlMs`, so two renewals in a row may fail before the lease ends. */
  readonly renewEveryMs?: number;
  /** The caller's cancellation: aborts the wait, or (once acquired) the signal handed to `fn`. */
  readonly signal?: AbortSignal;
}

/**
 * The work done under the lock. `signal` aborts (with a LockLostError as its reason) the moment the
 * lease is known to be lost; long work must watch it and stop. `fence` goes with every write the work
 * makes, so the store can refuse it once a newer holder exists (see FenceGuard).
 */
export type LockedWork<T> = (signal: AbortSignal, fence: number) => Promise<T> | T;

/**
 * Runs `fn` while holding `key`: acquires (waiting up to `waitMs`), renews the lease every
 * `renewEveryMs`, and releases after `fn` settles, whether it resolved or threw.
 *
 * The lease counts as lost when a renewal is refused (LockLostError) or when its end passes without a
 * successful renewal (the store unreachable): then `fn`'s signal aborts and withLock rejects with
 * LockLostError — after `fn` has settled, so withLock never returns while `fn` still runs. A release that
 * finds the lease already gone (it ran out between the last renewal and the end of `fn`) also rejects
 * with LockLostError: the work may have overlapped with another holder and must not be trusted without
 * its fence. Otherwise withLock resolves or rejects as `fn` did. An unreachable store at release time is
 * ignored: the lease simply expires.
 */
export async function withLock<T>(locks: LockAdapter, key: string, fn: LockedWork<T>, options: WithLockOptions): Promise<T> {
  const { ttlMs, waitMs, signal } = options;
  const renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(ttlMs / 3));
  const handle = await locks.acquire(key, { ttlMs, waitMs, signal });

  const controller = new AbortController();
  let lost: LockLostError | undefined;
  let renewing = false;
  let expiresAt = handle.expiresAt;

  const lose = (err: LockLostError): void => {
    if (lost) return;
    lost = err;
    clearInterval(renewTimer);
    clearTimeout(expiryTimer);
    controller.abort(err);
  };
  const armExpiry = (): NodeJS.Timeout =>
    setTimeout(() => lose(new LockLostError(key, 'the lease ended before a renewal succeeded')), Math.max(0, expiresAt - Date.now()));
  let expiryTimer = armExpiry();
  const renewTimer = setInterval(() => {
    if (renewing || lost) return;
    renewing = true;
    locks
      .extend(key, handle.token, ttlMs)
      .then(
        (next) => {
          if (lost) return;
          expiresAt = next;
          clearTimeout(expiryTimer);
          expiryTimer = armExpiry();
        },
        (err: unknown) => {
          // Any other failure (store unreachable) is retried on the next tick; the expiry timer decides.
          if (err instanceof LockLostError) lose(err);
        },
      )
      .finally(() => {
        renewing = false;
      });
  }, renewEveryMs);

  const onCallerAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onCallerAbort, { once: true });

  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn(controller.signal, handle.fence) };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    clearInterval(renewTimer);
    clearTimeout(expiryTimer);
    signal?.removeEventListener('abort', onCallerAbort);
  }

  let released = true;
  try {
    released = await locks.release(key, handle.token);
  } catch {
    // Unreachable store: nothing to do, the lease runs out on its own.
  }
  if (lost) throw lost;
  if (!outcome.ok) throw outcome.error;
  if (!released) throw new LockLostError(key, 'the lease had already ended when the work finished');
  return outcome.value;
}
