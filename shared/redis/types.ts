/** Where a Redis URL points: one server, or a master found through Sentinel. */
export type RedisTarget = StandaloneRedisTarget | SentinelRedisTarget;

export interface StandaloneRedisTarget {
  readonly kind: 'standalone';
  /** The `redis://` or `rediss://` URL, as ioredis reads it. */
  readonly url: string;
}

export interface SentinelRedisTarget {
  readonly kind: 'sentinel';
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  /** The master's name as configured in Sentinel (`sentinel monitor <name> …`). */
  readonly masterName: string;
  readonly db: number;
  /** Password of the master and replicas (the URL's user-info). */
  readonly password?: string;
  readonly username?: string;
  /** Password of the Sentinels themselves (`?sentinelPassword=`), when they require one. */
  readonly sentinelPassword?: string;
}
