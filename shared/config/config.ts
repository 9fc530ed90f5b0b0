import { resolve } from 'node:path';
import type { WorkerMode } from '../worker-mode/index.js';
import type { Env } from './types.js';
import { readEnv } from './read-env.js';

export type DatabaseConfig =
  | { readonly kind: 'external'; readonly url: string; readonly database: string; readonly schema: string; readonly poolMax: number }
  | { readonly kind: 'embedded'; readonly port: number; readonly dataDir: string; readonly database: string; readonly schema: string; readonly poolMax: number };

/** The validated, frozen configuration of one node. Nothing else in the code reads process.env. */
export interface Config {
  readonly nodeId: string;
  readonly namespace: string;
  readonly workerMode: WorkerMode;
  readonly http: { readonly host: string; readonly port: number; readonly bodyLimit: number };
  readonly health: { readonly host: string; readonly port: number };
  /** Transporter URL, or null for a local broker without network. */
  readonly transporter: string | null;
  readonly requestTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly log: { readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'; readonly format: 'text' | 'json' };
  readonly db: DatabaseConfig;
  readonly storagePath: string;
  /** REDIS_URL, the fallback of every Redis-backed adapter. */
  readonly redisUrl: string | null;
  readonly shutdown: { readonly delayMs: number; readonly timeoutMs: number };
}

function databaseUrl(v: ReturnType<typeof readEnv>): string | null {
  if (v.DATABASE_URL) return v.DATABASE_URL.toString();
  if (!v.DB_HOST) return null;
  const u = new URL('postgres://localhost');
  u.hostname = v.DB_HOST;
  u.port = String(v.DB_PORT);
  u.username = v.DB_USER;
  u.password = v.DB_PASSWORD;
  u.pathname = `/${v.DB_DATABASE}`;
  return u.toString();
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Reads, validates and freezes the configuration; throws StartupRefusal listing every bad variable. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const v = readEnv(env);
  const storagePath = resolve(cwd, v.STORAGE_PATH);
  const url = databaseUrl(v);
  const database = url ? decodeURIComponent(new URL(url).pathname.slice(1)) || v.DB_DATABASE : v.DB_DATABASE;
  const common = { database, schema: v.DB_SCHEMA, poolMax: v.DB_POOL_MAX };
  const db: DatabaseConfig = url
    ? { kind: 'external', url, ...common }
    : { kind: 'embedded', port: v.EMBEDDED_DB_PORT, dataDir: resolve(storagePath, 'db', 'postgres'), ...common };

  return deepFreeze<Config>({
    nodeId: v.NODE_ID,
    namespace: v.NAMESPACE,
    workerMode: v.WORKER_MODE,
    http: { host: v.APP_HOST, port: v.APP_PORT, bodyLimit: v.HTTP_BODY_LIMIT },
    health: { host: v.APP_HOST, port: v.HEALTH_PORT },
    transporter: v.TRANSPORTER ? v.TRANSPORTER.toString() : null,
    requestTimeoutMs: v.REQUEST_TIMEOUT,
    heartbeatMs: v.HEARTBEAT_INTERVAL,
    log: { level: v.LOG_LEVEL, format: v.LOG_FORMAT },
    db,
    storagePath,
    redisUrl: v.REDIS_URL ? v.REDIS_URL.toString() : null,
    shutdown: { delayMs: v.SHUTDOWN_DELAY, timeoutMs: v.SHUTDOWN_TIMEOUT },
  });
}
