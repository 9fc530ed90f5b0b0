import type { Redis, RedisOptions } from 'ioredis';
import { cbError } from '../errors/index.js';
import { createRedisClient } from '../redis/index.js';
import type { CacheStore } from './types.js';

export interface RedisCacheStoreOptions {
  readonly url: string;
  readonly redisOptions?: RedisOptions;
  /** SCAN batch size for deletePrefix. Default 500. */
  readonly scanCount?: number;
}

/** Escapes a literal for a SCAN MATCH pattern (`*`, `?`, `[`, `]`, `\` are glob syntax). */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Redis store: one string key per entry holding the JSON, TTL as PX. */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis' as const;
  private client: Redis | undefined;
  private connecting: Promise<void> | undefined;
  private readonly scanCount: number;

  constructor(private readonly options: RedisCacheStoreOptions) {
    this.scanCount = options.scanCount ?? 500;
  }

  connect(): Promise<void> {
    this.connecting ??= (async () => {
      const client = createRedisClient(this.options.url, { user: 'The Redis cache adapter', connectionName: 'cb-cache', ...this.options.redisOptions });
      // Errors surface on the failing command; the listener keeps ioredis from printing each reconnect attempt.
      client.on('error', () => {});
      try {
        await client.connect();
      } catch (err) {
        client.disconnect();
        this.connecting = undefined;
        throw err;
      }
      this.client = client;
    })();
    return this.connecting;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    if (client) await client.quit().catch(() => client.disconnect());
  }

  /** The connected client, for adapters that share the connection (and tests). */
  redis(): Redis {
    if (!this.client) throw cbError('CB_ERR_SERVICE_UNAVAILABLE', 'The Redis cache is not connected: call connect() first');
    return this.client;
  }

  async get(fullKey: string): Promise<string | undefined> {
    return (await this.redis().get(fullKey)) ?? undefined;
  }

  async set(fullKey: string, json: string, ttlMs: number | undefined): Promise<void> {
    if (ttlMs === undefined) await this.redis().set(fullKey, json);
    else await this.redis().set(fullKey, json, 'PX', ttlMs);
  }

  async del(fullKey: string): Promise<void> {
    await this.redis().del(fullKey);
  }

  async deletePrefix(fullPrefix: string): Promise<void> {
    const client = this.redis();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(fullPrefix)}*`, 'COUNT', this.scanCount);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  }
}
