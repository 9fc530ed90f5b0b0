import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createRedisClient, luaScript, type LuaScript } from '../redis/index.js';
import { WORKER_ID_COUNT } from './errors.js';
import type { AcquireOutcome, LeaseStore } from './types.js';

type ScriptName = 'acquire' | 'renew' | 'release';
let loaded: Record<ScriptName, LuaScript> | null = null;

/** Loaded on first use, so importing the folder for the memory adapter never touches the files. */
function script(name: ScriptName): LuaScript {
  const dir = join(__dirname, 'scripts');
  loaded ??= { acquire: luaScript(dir, 'acquire.lua', WORKER_ID_COUNT + 1), renew: luaScript(dir, 'renew.lua', 1), release: luaScript(dir, 'release.lua', 1) };
  return loaded[name];
}

/**
 * The key that tells a store that kept its data from a new or wiped one (acquire.lua). One per Redis
 * database, since a wipe empties the whole database; with a hash tag in the prefix (Redis Cluster)
 * it carries the tag so the script's keys share a slot. Without a hash tag every cluster on the
 * database shares it, so a new prefix on a store that kept its data costs no wait.
 */
export function storeMarkerKey(prefix: string): string {
  const tag = /\{[^}]+\}/.exec(prefix)?.[0];
  return tag ? `${tag}:cb:worker-id:store` : 'cb:worker-id:store';
}

export interface RedisLeaseStoreOptions {
  readonly url?: string;
  readonly client?: Redis;
  readonly prefix: string;
}

/**
 * Leases in Redis, one key per ID (`<prefix>:worker-id:<n>`); every change is one Lua script in
 * scripts/ so it is atomic and timed by Redis's clock (TIME), not the callers'.
 */
export class RedisLeaseStore implements LeaseStore {
  readonly type = 'redis' as const;
  readonly inProcess = false;
  readonly where: string;
  private readonly keys: string[];
  /** KEYS of acquire.lua: the 32 ID keys and the store marker. */
  private readonly acquireKeys: string[];
  private readonly ownsClient: boolean;
  private client: Redis | null;
  private connecting: Promise<void> | null = null;
  private lastError: unknown = undefined;

  constructor(private readonly options: RedisLeaseStoreOptions) {
    this.where = `Redis prefix "${options.prefix}"`;
    this.keys = Array.from({ length: WORKER_ID_COUNT }, (_, n) => `${options.prefix}:worker-id:${n}`);
    this.acquireKeys = [...this.keys, storeMarkerKey(options.prefix)];
    this.ownsClient = !options.client;
    this.client = options.client ?? null;
  }

  connect(): Promise<void> {
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = null;
      throw error;
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.connecting = null;
    if (!client || !this.ownsClient) return;
    this.client = null;
    if (client.status !== 'ready') {
      // Reconnecting or never connected: QUIT would wait in the offline queue.
      client.disconnect();
      return;
    }
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  }

  async acquire(token: string, leaseMs: number): Promise<AcquireOutcome> {
    const reply = (await this.run(script('acquire'), this.acquireKeys, [token, leaseMs])) as number[];
    if (reply[0] === 1) {
      await this.waitForReplica();
      return { ok: true, workerId: Number(reply[1]) };
    }
    if (reply[0] === 2) return { ok: false, newStore: true, waitMs: Number(reply[1]) };
    return { ok: false, held: Number(reply[1]), coolingDown: Number(reply[2]) };
  }

  async renew(workerId: number, token: string, leaseMs: number): Promise<'renewed' | 'expired' | 'taken'> {
    const reply = Number(await this.run(script('renew'), [this.key(workerId)], [token, leaseMs]));
    return reply === 1 ? 'renewed' : reply === -1 ? 'expired' : 'taken';
  }

  async release(workerId: number, token: string, leaseMs: number): Promise<boolean> {
    return Number(await this.run(script('release'), [this.key(workerId)], [token, leaseMs])) === 1;
  }

  /**
   * A new lease must survive a failover: a replica promoted without it would hand the same ID to
   * another node. When the server has replicas, wait (up to a second, once per acquisition) until one
   * has the lease; without replicas there is nothing to wait for.
   */
  private async waitForReplica(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const info = String(await client.info('replication'));
    const replicas = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
    if (replicas > 0) await client.call('WAIT', 1, 1000);
  }

  private key(workerId: number): string {
    const key = this.keys[workerId];
    if (key === undefined) throw new Error(`worker ID ${workerId} is out of range 0–${WORKER_ID_COUNT - 1}`);
    return key;
  }

  private async open(): Promise<void> {
    if (!this.ownsClient) return;
    if (!this.client) {
      const client = createRedisClient(this.options.url ?? 'redis://127.0.0.1:6379', {
        user: 'The redis worker-ID allocator',
        connectionName: 'cb-worker-id',
        // Fail a command after a few reconnection attempts: the lease deadline, not the queue, decides.
        maxRetriesPerRequest: 2,
        // ioredis keeps a process alive this long after disconnect() even when the socket is already gone.
        disconnectTimeout: 200,
      });
      // Errors surface through the commands that fail; without a listener ioredis prints each one.
      client.on('error', (error: unknown) => {
        this.lastError = error;
      });
      this.client = client;
    }
    if (this.client.status === 'wait') {
      try {
        await this.client.connect();
      } catch (error) {
        const client = this.client;
        this.client = null;
        client.disconnect();
        // ioredis rejects with "Connection is closed"; the socket error says why (ECONNREFUSED, ENOTFOUND…).
        throw this.lastError ?? error;
      }
    }
  }

  private async run(lua: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    await this.connect();
    const client = this.client;
    if (!client) throw new Error('the Redis connection is closed');
    return lua.run(client, keys, args);
  }
}
