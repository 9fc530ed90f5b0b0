import { resolve } from 'node:path';
import type { WorkerMode } from '../worker-mode/index.js';
import type { Env } from './types.js';
import { StartupRefusal } from '../errors/index.js';
import { readEnv } from './read-env.js';
import { isPlaceholder } from '../secrets/index.js';

export type DatabaseConfig =
  | { readonly kind: 'external'; readonly url: string; readonly database: string; readonly schema: string; readonly poolMax: number }
  | { readonly kind: 'embedded'; readonly port: number; readonly dataDir: string; readonly database: string; readonly schema: string; readonly poolMax: number };

/** The validated, frozen configuration of one node. Nothing else in the code reads process.env. */
export interface Config {
  readonly nodeId: string;
  readonly namespace: string;
  readonly workerMode: WorkerMode;
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimit: number;
    /** Gateway connection limits (ms): whole request, headers, idle keep-alive, no traffic, file answer. */
    readonly requestTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly connectionTimeoutMs: number;
    readonly writeTimeoutMs: number;
  };
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
  /** Async import/export tasks (shared/tasks). */
  readonly tasks: {
    readonly maxConcurrency: number;
    readonly batchSize: number;
    readonly leaseMs: number;
    readonly sweepMs: number;
    readonly retentionMs: number;
    readonly exportInlineMaxRows: number;
    readonly exportMaxConcurrentPerUser: number;
    readonly importMaxFileSize: number;
    readonly xlsx: { readonly maxUncompressed: number; readonly maxEntries: number; readonly maxSharedStrings: number };
    readonly headerCheck: { readonly maxHeapMb: number; readonly timeoutMs: number };
    readonly maxPendingPerUser: number;
    readonly maxStoredPerUser: number;
    readonly minFreeBytes: number;
  };
  /** Workflow engine intervals and bounds (shared/workflow), all in milliseconds but `concurrency`. */
  readonly workflow: {
    readonly leaseMs: number;
    readonly sweepMs: number;
    readonly queueingGraceMs: number;
    readonly scheduleTickMs: number;
    readonly syncTimeoutMs: number;
    readonly concurrency: number;
    readonly requestAllow: readonly string[];
    readonly requestMaxTimeoutMs: number;
  };
  /** IDEMPOTENCY_KEY_TTL: how long a write's Idempotency-Key and answer are kept. */
  readonly idempotencyTtlMs: number;
  /** Bounds of one record write request (shared/data RecordRepository). */
  readonly data: { readonly maxRecordsPerWrite: number; readonly maxPasswordHashes: number };
  /** The cluster middleware: each adapter with its resolved URL (its own variable, else REDIS_URL). */
  readonly adapters: AdaptersConfig;
  /** Multi-core mode: number of broker processes, or null for one. */
  readonly clusterMode: number | 'max' | null;
  readonly secrets: { readonly appKey: string | null; readonly aesKeyHex: string | null; readonly newAesKeyHex: string | null };
  readonly auth: {
    readonly root: { readonly email: string; readonly username: string; readonly password: string; readonly defaultsUsed: boolean };
    readonly tokenTtlMs: number;
    /** Sign-in attempt limits (shared/auth SignInGuard), times in seconds. */
    readonly signIn: { readonly freeAttempts: number; readonly maxAttempts: number; readonly ipMaxAttempts: number; readonly windowSec: number; readonly lockoutSec: number };
  };
  /** Multi-app mode (APP_MODE and its adapters, issue 7). */
  readonly apps: AppsConfig;
}

export interface AppsConfig {
  readonly mode: 'standalone' | 'supervisor' | 'worker';
  readonly discovery: 'local' | 'remote';
  readonly process: 'local' | 'remote';
  /** Redis of the app/environment cache (APP_SUPERVISOR_REDIS_URL, else REDIS_URL). */
  readonly redisUrl: string | null;
  readonly command: { readonly type: 'local' | 'redis'; readonly url: string | null; readonly ackTimeoutMs: number; readonly timeoutMs: number };
  /** This node's environment (workers only). */
  readonly environment: { readonly name: string; readonly url: string; readonly proxyUrl: string | null } | null;
  readonly heartbeatMs: number;
  /** Time past a due heartbeat before an environment counts as unavailable. */
  readonly graceMs: number;
}

/** APP_MODE's adapters, refusing combinations that cannot work, naming the variable. */
function appsOf(v: ReturnType<typeof readEnv>, problems: string[]): AppsConfig {
  const fallback = v.REDIS_URL?.toString() ?? null;
  const mode = v.APP_MODE;
  const discovery = v.APP_DISCOVERY_ADAPTER as 'local' | 'remote';
  const processAdapter = v.APP_PROCESS_ADAPTER as 'local' | 'remote';
  const redisUrl = v.APP_SUPERVISOR_REDIS_URL?.toString() ?? fallback;
  const commandType = v.APP_COMMAND_ADAPTER as 'local' | 'redis';
  const commandUrl = commandType === 'redis' ? (v.APP_COMMAND_REDIS_URL?.toString() ?? fallback) : null;
  if (commandType === 'redis' && !commandUrl) problems.push('APP_COMMAND_ADAPTER: "redis" needs APP_COMMAND_REDIS_URL or REDIS_URL');
  const remote = mode === 'worker' || discovery === 'remote' || processAdapter === 'remote';
  if (remote && mode === 'standalone') problems.push('APP_MODE: remote discovery/process adapters need APP_MODE=supervisor or worker');
  if (remote && mode !== 'standalone') {
    if (!redisUrl) problems.push(`APP_SUPERVISOR_REDIS_URL: APP_MODE=${mode} with remote environments needs APP_SUPERVISOR_REDIS_URL or REDIS_URL`);
    if (commandType !== 'redis') problems.push(`APP_COMMAND_ADAPTER: APP_MODE=${mode} with remote environments needs "redis" (commands cross processes)`);
  }
  if (mode === 'worker') {
    if (!v.ENVIRONMENT_NAME) problems.push('ENVIRONMENT_NAME: APP_MODE=worker needs the name of its environment');
    if (!v.ENVIRONMENT_URL) problems.push('ENVIRONMENT_URL: APP_MODE=worker needs the URL of its environment');
    if (processAdapter === 'remote') problems.push('APP_PROCESS_ADAPTER: a worker runs its apps itself ("local"), "remote" is for the supervisor');
  } else if (v.ENVIRONMENT_NAME || v.ENVIRONMENT_URL) {
    problems.push(`ENVIRONMENT_NAME: only APP_MODE=worker nodes belong to an environment (APP_MODE=${mode})`);
  }
  if (mode === 'supervisor' && processAdapter === 'remote' && discovery !== 'remote') {
    problems.push('APP_DISCOVERY_ADAPTER: APP_PROCESS_ADAPTER=remote needs "remote" discovery (workers register over Redis)');
  }
  const environment =
    mode === 'worker' && v.ENVIRONMENT_NAME && v.ENVIRONMENT_URL
      ? { name: v.ENVIRONMENT_NAME, url: v.ENVIRONMENT_URL.toString().replace(/\/$/, ''), proxyUrl: v.ENVIRONMENT_PROXY_URL?.toString().replace(/\/$/, '') ?? null }
      : null;
  return {
    mode,
    discovery,
    process: processAdapter,
    redisUrl: remote ? redisUrl : null,
    command: { type: commandType, url: commandUrl, ackTimeoutMs: v.APP_COMMAND_ACK_TIMEOUT, timeoutMs: v.APP_COMMAND_TIMEOUT },
    environment,
    heartbeatMs: v.ENVIRONMENT_HEARTBEAT_INTERVAL,
    graceMs: v.ENVIRONMENT_HEARTBEAT_GRACE ?? v.ENVIRONMENT_HEARTBEAT_INTERVAL * 2,
  };
}

export interface AdaptersConfig {
  readonly cache: { readonly type: 'memory' | 'redis'; readonly url: string | null };
  readonly sync: { readonly type: 'local' | 'transporter' | 'redis'; readonly url: string | null; readonly retention: number };
  readonly queue: { readonly type: 'memory' | 'redis' | 'rabbitmq'; readonly url: string | null; readonly staleAfterMs: number };
  readonly lock: { readonly type: 'local' | 'redis'; readonly url: string | null };
  readonly workerId: { readonly type: 'local' | 'redis'; readonly url: string | null; readonly leaseMs: number; readonly waitMs: number };
}

/** The adapters that keep their state inside one process, by the variable that chose them. */
export function inProcessAdapters(adapters: AdaptersConfig): string[] {
  const found: string[] = [];
  if (adapters.lock.type === 'local') found.push('LOCK_ADAPTER_DEFAULT=local');
  if (adapters.workerId.type === 'local') found.push('WORKER_ID_ADAPTER=local');
  if (adapters.queue.type === 'memory') found.push('QUEUE_ADAPTER=memory');
  if (adapters.sync.type === 'local') found.push('PUBSUB_ADAPTER=local');
  if (adapters.cache.type === 'memory') found.push('CACHE_DEFAULT_STORE=memory');
  return found;
}

/** Shortest root password accepted outside a single local process. */
export const MIN_ROOT_PASSWORD_LENGTH = 12;

/**
 * The one-line refusal for a weak INIT_ROOT_PASSWORD where other people can reach the node: a
 * transporter (a cluster), a supervisor or worker, several processes, or APP_ENV=production. A single
 * local process keeps the documented default.
 */
function weakRootPassword(v: ReturnType<typeof readEnv>, apps: AppsConfig): string | null {
  const where = v.TRANSPORTER
    ? 'with a TRANSPORTER (a cluster)'
    : apps.mode !== 'standalone'
      ? `with APP_MODE=${apps.mode}`
      : v.CLUSTER_MODE !== null
        ? 'with CLUSTER_MODE'
        : v.APP_ENV === 'production'
          ? 'with APP_ENV=production'
          : null;
  if (!where) return null;
  const password = v.INIT_ROOT_PASSWORD;
  if (password === 'admin123') return `INIT_ROOT_PASSWORD: the default password "admin123" is refused ${where}; set a password of at least ${MIN_ROOT_PASSWORD_LENGTH} characters`;
  if (isPlaceholder(password)) return `INIT_ROOT_PASSWORD: the value is a placeholder from a template, refused ${where}; set a password of your own of at least ${MIN_ROOT_PASSWORD_LENGTH} characters`;
  if ([...password].length < MIN_ROOT_PASSWORD_LENGTH) return `INIT_ROOT_PASSWORD: at least ${MIN_ROOT_PASSWORD_LENGTH} characters are needed ${where} (got ${[...password].length})`;
  return null;
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

function adaptersOf(v: ReturnType<typeof readEnv>, problems: string[]): AdaptersConfig {
  const fallback = v.REDIS_URL?.toString() ?? null;
  const redis = (type: string, own: string | undefined, variable: string, typeVariable: string): string | null => {
    const url = own?.toString() ?? fallback;
    if (type === 'redis' && !url) problems.push(`${typeVariable}: "redis" needs ${variable} or REDIS_URL`);
    return type === 'redis' ? url : null;
  };
  const rabbit = v.QUEUE_ADAPTER_RABBITMQ_URL?.toString() ?? null;
  if (v.QUEUE_ADAPTER === 'rabbitmq' && !rabbit) problems.push('QUEUE_ADAPTER: "rabbitmq" needs QUEUE_ADAPTER_RABBITMQ_URL');
  if (v.PUBSUB_ADAPTER === 'transporter' && !v.TRANSPORTER) problems.push('PUBSUB_ADAPTER: "transporter" needs TRANSPORTER');
  return {
    cache: { type: v.CACHE_DEFAULT_STORE, url: redis(v.CACHE_DEFAULT_STORE, v.CACHE_REDIS_URL, 'CACHE_REDIS_URL', 'CACHE_DEFAULT_STORE') },
    sync: {
      type: v.PUBSUB_ADAPTER as 'local' | 'transporter' | 'redis',
      url: redis(v.PUBSUB_ADAPTER, v.PUBSUB_ADAPTER_REDIS_URL, 'PUBSUB_ADAPTER_REDIS_URL', 'PUBSUB_ADAPTER'),
      retention: v.PUBSUB_RETENTION,
    },
    queue: {
      type: v.QUEUE_ADAPTER as 'memory' | 'redis' | 'rabbitmq',
      url: v.QUEUE_ADAPTER === 'rabbitmq' ? rabbit : redis(v.QUEUE_ADAPTER, v.QUEUE_ADAPTER_REDIS_URL, 'QUEUE_ADAPTER_REDIS_URL', 'QUEUE_ADAPTER'),
      staleAfterMs: v.QUEUE_CONSUMER_STALE_AFTER,
    },
    lock: { type: v.LOCK_ADAPTER_DEFAULT as 'local' | 'redis', url: redis(v.LOCK_ADAPTER_DEFAULT, v.LOCK_ADAPTER_REDIS_URL, 'LOCK_ADAPTER_REDIS_URL', 'LOCK_ADAPTER_DEFAULT') },
    workerId: {
      type: v.WORKER_ID_ADAPTER as 'local' | 'redis',
      url: redis(v.WORKER_ID_ADAPTER, v.WORKER_ID_REDIS_URL, 'WORKER_ID_REDIS_URL', 'WORKER_ID_ADAPTER'),
      leaseMs: v.WORKER_ID_LEASE,
      waitMs: v.WORKER_ID_WAIT,
    },
  };
}

/** Reads, validates and freezes the configuration; throws StartupRefusal listing every bad variable. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const v = readEnv(env);
  const problems: string[] = [];
  const adapters = adaptersOf(v, problems);
  const apps = appsOf(v, problems);
  if (v.CLUSTER_MODE !== null) {
    const local = inProcessAdapters(adapters).filter((a) => !a.startsWith('CACHE_'));
    if (local.length > 0) {
      problems.push(`CLUSTER_MODE: several processes need cluster adapters, but ${local.join(', ')} keep state inside one process`);
    }
    if (!v.DATABASE_URL && !v.DB_HOST) problems.push('CLUSTER_MODE: several processes need a shared PostgreSQL (DB_HOST or DATABASE_URL), not the embedded one');
  }
  // A connection closed for silence while the client still counts on keep-alive fails its next request.
  if (v.HTTP_CONNECTION_TIMEOUT <= v.HTTP_KEEP_ALIVE_TIMEOUT) problems.push('HTTP_CONNECTION_TIMEOUT: must be longer than HTTP_KEEP_ALIVE_TIMEOUT');
  const weakRoot = weakRootPassword(v, apps);
  if (weakRoot) problems.push(weakRoot);
  if (problems.length > 0) throw new StartupRefusal('CB_ERR_CONFIG_INVALID', problems);
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
    http: {
      host: v.APP_HOST,
      port: v.APP_PORT,
      bodyLimit: v.HTTP_BODY_LIMIT,
      requestTimeoutMs: v.HTTP_REQUEST_TIMEOUT,
      // Node wants the headers' deadline within the request's.
      headersTimeoutMs: Math.min(v.HTTP_HEADERS_TIMEOUT, v.HTTP_REQUEST_TIMEOUT),
      keepAliveTimeoutMs: v.HTTP_KEEP_ALIVE_TIMEOUT,
      connectionTimeoutMs: v.HTTP_CONNECTION_TIMEOUT,
      writeTimeoutMs: v.HTTP_WRITE_TIMEOUT,
    },
    health: { host: v.HEALTH_HOST, port: v.HEALTH_PORT },
    transporter: v.TRANSPORTER ? v.TRANSPORTER.toString() : null,
    requestTimeoutMs: v.REQUEST_TIMEOUT,
    heartbeatMs: v.HEARTBEAT_INTERVAL,
    log: { level: v.LOG_LEVEL, format: v.LOG_FORMAT },
    db,
    storagePath,
    redisUrl: v.REDIS_URL ? v.REDIS_URL.toString() : null,
    shutdown: { delayMs: v.SHUTDOWN_DELAY, timeoutMs: v.SHUTDOWN_TIMEOUT },
    tasks: {
      maxConcurrency: v.ASYNC_TASK_MAX_CONCURRENCY,
      batchSize: v.ASYNC_TASK_BATCH_SIZE,
      leaseMs: v.ASYNC_TASK_LEASE,
      sweepMs: v.ASYNC_TASK_SWEEP_INTERVAL,
      retentionMs: v.ASYNC_TASK_RETENTION,
      exportInlineMaxRows: v.EXPORT_INLINE_MAX_ROWS,
      exportMaxConcurrentPerUser: v.EXPORT_MAX_CONCURRENT_PER_USER,
      importMaxFileSize: v.IMPORT_MAX_FILE_SIZE,
      xlsx: { maxUncompressed: v.IMPORT_XLSX_MAX_UNCOMPRESSED, maxEntries: v.IMPORT_XLSX_MAX_ENTRIES, maxSharedStrings: v.IMPORT_XLSX_MAX_SHARED_STRINGS },
      headerCheck: { maxHeapMb: v.IMPORT_CHECK_MAX_HEAP, timeoutMs: v.IMPORT_CHECK_TIMEOUT },
      maxPendingPerUser: v.ASYNC_TASK_MAX_PENDING_PER_USER,
      maxStoredPerUser: v.ASYNC_TASK_MAX_STORED_PER_USER,
      minFreeBytes: v.STORAGE_MIN_FREE,
    },
    workflow: {
      leaseMs: v.WORKFLOW_LEASE,
      sweepMs: v.WORKFLOW_SWEEP_INTERVAL,
      queueingGraceMs: v.WORKFLOW_QUEUEING_GRACE,
      scheduleTickMs: v.WORKFLOW_SCHEDULE_TICK,
      syncTimeoutMs: v.WORKFLOW_SYNC_TIMEOUT,
      concurrency: v.WORKFLOW_CONCURRENCY,
      requestAllow: v.WORKFLOW_REQUEST_ALLOW,
      requestMaxTimeoutMs: v.WORKFLOW_REQUEST_MAX_TIMEOUT,
    },
    idempotencyTtlMs: v.IDEMPOTENCY_KEY_TTL,
    data: { maxRecordsPerWrite: v.DATA_MAX_RECORDS_PER_WRITE, maxPasswordHashes: v.DATA_MAX_PASSWORD_HASHES },
    adapters,
    clusterMode: v.CLUSTER_MODE,
    secrets: { appKey: v.APP_KEY ?? null, aesKeyHex: v.APP_AES_SECRET_KEY ?? null, newAesKeyHex: v.NEW_APP_AES_SECRET_KEY ?? null },
    auth: {
      root: {
        email: v.INIT_ROOT_EMAIL,
        username: v.INIT_ROOT_USERNAME,
        password: v.INIT_ROOT_PASSWORD,
        defaultsUsed: !env.INIT_ROOT_PASSWORD,
      },
      tokenTtlMs: v.TOKEN_EXPIRES_IN,
      signIn: {
        freeAttempts: v.SIGN_IN_FREE_ATTEMPTS,
        maxAttempts: Math.max(v.SIGN_IN_MAX_ATTEMPTS, v.SIGN_IN_FREE_ATTEMPTS),
        ipMaxAttempts: v.SIGN_IN_IP_MAX_ATTEMPTS,
        windowSec: Math.ceil(v.SIGN_IN_WINDOW / 1000),
        lockoutSec: Math.ceil(v.SIGN_IN_LOCKOUT / 1000),
      },
    },
    apps,
  });
}
