import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { cbError } from '../errors/index.js';
import { luaScript } from '../redis/index.js';
import { abortReason, backoffDelay, sleep } from './backoff.js';
import { LockLostError, LockTimeoutError, lockClosedError, lockConfigError } from './errors.js';
import type { AcquireOptions, LockAdapter, LockHandle, LockInfo } from './types.js';
import { checkKey, checkToken, checkTtl, checkWait } from './validate.js';

export interface RedisLockAdapterOptions {
  /** The client to use. */
  readonly client: Redis;
  /** True when the adapter created the client: it then connects and quits it. */
  readonly ownsClient: boolean;
  readonly prefix?: string;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

/** The build copies `shared/lock/scripts/*.lua` next to the compiled module. */
const SCRIPTS_DIR = join(__dirname, 'scripts');
const acquireScript = (): ReturnType<typeof luaScript> => luaScript(SCRIPTS_DIR, 'acquire.lua', 3);
const extendScript = (): ReturnType<typeof luaScript> => luaScript(SCRIPTS_DIR, 'extend.lua', 1);
const releaseScript = (): ReturnType<typeof luaScript> => luaScript(SCRIPTS_DIR, 'release.lua', 1);

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Failures of the Redis connection cross the boundary as a catalogue error, never a bare ioredis Error. */
function storeError(err: unknown): unknown {
  if (err instanceof Error && 'type' in err && typeof (err as { type: unknown }).type === 'string') return err;
  return cbError('CB_ERR_SERVICE_UNAVAILABLE', `Lock store (redis) failed: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * Locks in Redis: `SET NX PX` with a random token plus an INCR'd per-key fence, in one Lua script;
 * compare-and-pexpire to extend, compare-and-delete to release. The fence counter never expires, so
 * fences keep growing across releases, expiries and restarts of any client (they reset only if Redis
 * itself loses its data). A busy key is polled with jittered exponential backoff, never longer than the
 * holder's remaining lease. Both keys of a lock share a hash tag (`{<key>}`) so the script also runs on
 * Redis Cluster.
 */
export class RedisLockAdapter implements LockAdapter {
  readonly type = 'redis';
  readonly inProcess = false;

  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private closed = false;
  /** Aborted by close(), so pending waits end at once. */
  private closing = new AbortController();

  constructor(options: RedisLockAdapterOptions) {
    const prefix = options.prefix ?? 'cb';
    if (prefix === '' || /[{}]/.test(prefix)) throw lockConfigError(`Lock key prefix "${prefix}" must be non-empty and contain no braces`);
    const retryMinMs = options.retryMinMs ?? 5;
    const retryMaxMs = options.retryMaxMs ?? 100;
    if (!(retryMinMs > 0) || !(retryMaxMs >= retryMinMs)) throw lockConfigError('Lock retry delays need 0 < retryMinMs ≤ retryMaxMs');
    this.client = options.client;
    this.ownsClient = options.ownsClient;
    this.prefix = prefix;
    this.retryMinMs = retryMinMs;
    this.retryMaxMs = retryMaxMs;
    // Read the script files now, so a missing file fails at start-up rather than at the first acquire.
    acquireScript();
    extendScript();
    releaseScript();
  }

  async connect(): Promise<void> {
    this.closed = false;
    if (this.closing.signal.aborted) this.closing = new AbortController();
    try {
      if (this.ownsClient && ['wait', 'end', 'close'].includes(this.client.status)) await this.client.connect();
      await this.client.ping();
    } catch (err) {
      throw storeError(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(lockClosedError(this.type));
    if (this.ownsClient && this.client.status !== 'end') {
      await this.client.quit().catch(() => this.client.disconnect());
    }
  }

  /** Redis key holding `key`'s token. */
  lockKey(key: string): string {
    return `${this.prefix}:lock:{${key}}`;
  }

  /** Redis key holding `key`'s fence counter. */
  fenceKey(key: string): string {
    return `${this.prefix}:fence:{${key}}`;
  }

  /** Redis key holding the replication ID of the server that last bumped `key`'s fence (scripts/acquire.lua). */
  epochKey(key: string): string {
    return `${this.prefix}:fence-epoch:{${key}}`;
  }

  async acquire(key: string, options: AcquireOptions): Promise<LockHandle> {
    checkKey(key);
    const ttlMs = checkTtl(options.ttlMs);
    const waitMs = checkWait(options.waitMs);
    const { signal } = options;
    const token = randomBytes(16).toString('base64url');
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      this.ensureOpen();
      if (signal?.aborted) throw abortReason(signal);
      const sentAt = Date.now();
      let reply: [number, number];
      try {
        reply = (await acquireScript().run(this.client, [this.lockKey(key), this.fenceKey(key), this.epochKey(key)], [token, ttlMs])) as [number, number];
      } catch (err) {
        // The reply may have been lost after Redis took the key for us: give it back, best effort.
        this.release(key, token).catch(() => undefined);
        throw storeError(err);
      }
      const [ok, value] = reply;
      if (ok === 1) {
        if (signal?.aborted || this.closed) {
          await this.release(key, token).catch(() => undefined);
          throw signal?.aborted ? abortReason(signal) : lockClosedError(this.type);
        }
        return { key, token, fence: Number(value), expiresAt: sentAt + ttlMs };
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new LockTimeoutError(key, waitMs);
      let delay = backoffDelay(attempt, this.retryMinMs, this.retryMaxMs);
      if (value > 0) delay = Math.min(delay, value);
      await sleep(Math.min(delay, remaining), signal, this.closing.signal);
    }
  }

  async extend(key: string, token: string, ttlMs: number): Promise<number> {
    checkKey(key);
    checkToken(token);
    checkTtl(ttlMs);
    this.ensureOpen();
    const sentAt = Date.now();
    let ok: unknown;
    try {
      ok = await extendScript().run(this.client, [this.lockKey(key)], [token, ttlMs]);
    } catch (err) {
      throw storeError(err);
    }
    if (ok !== 1) throw new LockLostError(key);
    return sentAt + ttlMs;
  }

  async release(key: string, token: string): Promise<boolean> {
    checkKey(key);
    checkToken(token);
    this.ensureOpen();
    try {
      return (await releaseScript().run(this.client, [this.lockKey(key)], [token])) === 1;
    } catch (err) {
      throw storeError(err);
    }
  }

  async list(prefix = ''): Promise<LockInfo[]> {
    this.ensureOpen();
    const head = `${this.prefix}:lock:{`;
    const keys: string[] = [];
    try {
      let cursor = '0';
      do {
        const [next, batch] = await this.client.scan(cursor, 'MATCH', `${globEscape(head + prefix)}*`, 'COUNT', 1000);
        cursor = next;
        for (const redisKey of batch) if (redisKey.endsWith('}')) keys.push(redisKey.slice(head.length, -1));
      } while (cursor !== '0');
      const unique = [...new Set(keys)].sort();
      if (unique.length === 0) return [];
      const pipeline = this.client.pipeline();
      for (const key of unique) pipeline.pttl(this.lockKey(key)).get(this.fenceKey(key));
      const replies = (await pipeline.exec()) ?? [];
      const now = Date.now();
      const out: LockInfo[] = [];
      unique.forEach((key, i) => {
        const [ttlErr, pttl] = replies[2 * i] ?? [];
        const [fenceErr, fence] = replies[2 * i + 1] ?? [];
        if (ttlErr || fenceErr) throw ttlErr ?? fenceErr;
        // A key that expired between SCAN and PTTL answers -2: no longer held.
        if (typeof pttl === 'number' && pttl > 0) out.push({ key, fence: Number(fence), expiresAt: now + pttl });
      });
      return out;
    } catch (err) {
      throw storeError(err);
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw lockClosedError(this.type);
  }
}
