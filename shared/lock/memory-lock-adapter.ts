import { randomBytes } from 'node:crypto';
import { abortReason } from './backoff.js';
import { LockLostError, LockTimeoutError, lockClosedError } from './errors.js';
import type { AcquireOptions, LockAdapter, LockHandle, LockInfo } from './types.js';
import { checkKey, checkToken, checkTtl, checkWait } from './validate.js';

interface Held {
  readonly token: string;
  readonly fence: number;
  expiresAt: number;
  timer: NodeJS.Timeout;
}

/**
 * Locks in this process's memory: the single-process default and the fast adapter for unit tests.
 * Waiters sleep on a per-key queue and are woken one at a time when the key frees up (release or
 * expiry), so nobody polls. Fences live in a per-key map that is never pruned (one number per key ever
 * locked) so they only grow for the life of the process; nothing here survives a restart, which is fine
 * because nothing else could have seen those fences either.
 */
export class MemoryLockAdapter implements LockAdapter {
  readonly type = 'memory';
  readonly inProcess = true;

  private readonly held = new Map<string, Held>();
  private readonly fences = new Map<string, number>();
  /** Per key, the wake-up callbacks of waiting acquires, oldest first (a Set keeps insertion order). */
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  async connect(): Promise<void> {
    this.closed = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.held.values()) clearTimeout(entry.timer);
    this.held.clear();
    // Waiters wake, see `closed` and reject.
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
    this.waiters.clear();
  }

  async acquire(key: string, options: AcquireOptions): Promise<LockHandle> {
    checkKey(key);
    const ttlMs = checkTtl(options.ttlMs);
    const waitMs = checkWait(options.waitMs);
    const { signal } = options;
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (this.closed) throw lockClosedError(this.type);
      if (signal?.aborted) {
        // This waiter may have been woken for a free key it will not take now: pass the turn on.
        if (!this.live(key)) this.wakeOne(key);
        throw abortReason(signal);
      }
      const handle = this.tryTake(key, ttlMs);
      if (handle) return handle;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new LockTimeoutError(key, waitMs);
      await this.waitForFree(key, remaining, signal);
    }
  }

  async extend(key: string, token: string, ttlMs: number): Promise<number> {
    checkKey(key);
    checkToken(token);
    checkTtl(ttlMs);
    if (this.closed) throw lockClosedError(this.type);
    const entry = this.live(key);
    if (!entry || entry.token !== token) throw new LockLostError(key);
    entry.expiresAt = Date.now() + ttlMs;
    clearTimeout(entry.timer);
    entry.timer = this.expiryTimer(key, entry.token, ttlMs);
    return entry.expiresAt;
  }

  async release(key: string, token: string): Promise<boolean> {
    checkKey(key);
    checkToken(token);
    if (this.closed) throw lockClosedError(this.type);
    const entry = this.live(key);
    if (!entry || entry.token !== token) return false;
    this.free(key);
    return true;
  }

  async list(prefix = ''): Promise<LockInfo[]> {
    if (this.closed) throw lockClosedError(this.type);
    const out: LockInfo[] = [];
    for (const key of this.held.keys()) {
      if (!key.startsWith(prefix)) continue;
      const entry = this.live(key);
      if (entry) out.push({ key, fence: entry.fence, expiresAt: entry.expiresAt });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The entry holding `key` right now, dropping it when its lease has run out but its timer not yet fired. */
  private live(key: string): Held | undefined {
    const entry = this.held.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.free(key);
      return undefined;
    }
    return entry;
  }

  private tryTake(key: string, ttlMs: number): LockHandle | undefined {
    if (this.live(key)) return undefined;
    const fence = (this.fences.get(key) ?? 0) + 1;
    this.fences.set(key, fence);
    const token = randomBytes(16).toString('base64url');
    const expiresAt = Date.now() + ttlMs;
    this.held.set(key, { token, fence, expiresAt, timer: this.expiryTimer(key, token, ttlMs) });
    return { key, token, fence, expiresAt };
  }

  private expiryTimer(key: string, token: string, ttlMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (this.held.get(key)?.token === token) this.free(key);
    }, ttlMs);
    timer.unref();
    return timer;
  }

  private free(key: string): void {
    const entry = this.held.get(key);
    if (entry) clearTimeout(entry.timer);
    this.held.delete(key);
    this.wakeOne(key);
  }

  /** Hands the freed key to the oldest waiter; it retries and, if someone was quicker, queues again. */
  private wakeOne(key: string): void {
    const set = this.waiters.get(key);
    const first = set?.values().next();
    if (!set || !first || first.done) return;
    set.delete(first.value);
    if (set.size === 0) this.waiters.delete(key);
    first.value();
  }

  /** Resolves when the key may be free (woken, or `ms` passed); rejects when `signal` aborts. */
  private waitForFree(key: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const queue = set;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        queue.delete(wake);
        if (queue.size === 0 && this.waiters.get(key) === queue) this.waiters.delete(key);
      };
      const wake = (): void => {
        done();
        resolve();
      };
      const onAbort = (): void => {
        done();
        reject(abortReason(signal as AbortSignal));
      };
      const timer = setTimeout(wake, ms);
      queue.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
