import { testDatabaseUrl } from './database';
import { ROOT_PASSWORD } from './root';
import { SERVICES } from './services';

export interface ClusterEnvOptions {
  readonly schema: string;
  readonly namespace: string;
  readonly storage: string;
  /** Shared by every node of the cluster (each test its own, so a mix-up shows). */
  readonly appKey: string;
  /** 64 hex characters. */
  readonly aesKey: string;
}

/**
 * The environment every node of a multi-process test cluster shares: one database schema, NATS with a
 * namespace of its own, one storage folder, the same keys, and the Redis-backed adapters (a node with
 * in-process adapters beside others refuses to start). Tests add their roles and intervals.
 */
export function clusterEnv(o: ClusterEnvOptions): Record<string, string> {
  return {
    DATABASE_URL: testDatabaseUrl(),
    DB_SCHEMA: o.schema,
    TRANSPORTER: SERVICES.nats.url,
    NAMESPACE: o.namespace,
    HEARTBEAT_INTERVAL: '1',
    STORAGE_PATH: o.storage,
    APP_KEY: o.appKey,
    APP_AES_SECRET_KEY: o.aesKey,
    INIT_ROOT_PASSWORD: ROOT_PASSWORD,
    REDIS_URL: SERVICES.redis.url,
    CACHE_DEFAULT_STORE: 'redis',
    PUBSUB_ADAPTER: 'redis',
    QUEUE_ADAPTER: 'redis',
    LOCK_ADAPTER_DEFAULT: 'redis',
    WORKER_ID_ADAPTER: 'redis',
  };
}
