import { hostname } from 'node:os';
import { parseWorkerMode } from '../worker-mode/index.js';
import { requestPolicy } from '../workflow/request/target-policy.js';
import { aesKeyProblem, appKeyProblem } from '../secrets/load-secrets.js';
import type { VarSpec } from './types.js';
import { bytes, identifier, integer, oneOf, optionalText, port, redisUrl, seconds, text, transporterUrl, url } from './parsers.js';

function spec<T>(s: VarSpec<T>): VarSpec<T> {
  return s;
}

/** `memory` and `local` both name the in-process adapter; this keeps one spelling per variable. */
function inProcessAlias<T extends string>(value: T, canonical: T): T {
  return value === 'memory' || value === 'local' ? canonical : value;
}

/** CLUSTER_MODE: empty (one process), a count, or `max` (one per CPU). */
function clusterMode(raw: string | undefined): number | 'max' | null {
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '' || value === '1') return null;
  if (value === 'max') return 'max';
  return integer(2, 256)(value);
}

/**
 * Every environment variable clusterbase reads, in documentation order. Only this module reads
 * process.env; docs/configuration.md is generated from this table (`npm run docs:config`) and a test
 * keeps the two in step.
 */
export const variables = {
  WORKER_MODE: spec({
    default: '',
    doc: 'Roles of this node: empty = everything, `!` = requests only, `*` = every processor, `-` = nothing, or a list such as `!,workflow:process`.',
    parse: (raw) => parseWorkerMode(raw),
  }),
  APP_PORT: spec({ default: '13000', doc: 'HTTP port of the API gateway (nodes serving requests). 0 picks a free port.', parse: port }),
  APP_HOST: spec({ default: '0.0.0.0', doc: 'Address the API gateway listens on.', parse: text }),
  HEALTH_HOST: spec({
    default: '127.0.0.1',
    doc: 'Address the management port listens on. Loopback by default: `/metrics` and `/readyz` are for the machine itself; the Docker image and the manifests set `0.0.0.0` so probes can reach it (never publish the port).',
    parse: text,
  }),
  HEALTH_PORT: spec({
    default: '13001',
    doc: 'Management port of every node: `/healthz`, `/readyz`, `/metrics`. 0 picks a free port.',
    parse: port,
  }),
  HTTP_BODY_LIMIT: spec({ default: '10mb', doc: 'Largest request body the gateway accepts (bytes, or with kb/mb/gb).', parse: bytes }),
  HTTP_REQUEST_TIMEOUT: spec({ default: '300', doc: 'Seconds a client has to send one whole request (headers and body, uploads included); a slower one is closed (408).', parse: seconds(1, 86400) }),
  HTTP_HEADERS_TIMEOUT: spec({ default: '30', doc: 'Seconds a client has to send a request\'s headers, from the first byte or from an idle kept-alive connection (slowloris).', parse: seconds(1, 3600) }),
  HTTP_KEEP_ALIVE_TIMEOUT: spec({ default: '5', doc: 'Seconds an idle kept-alive connection stays open between requests.', parse: seconds(0.1, 3600) }),
  HTTP_CONNECTION_TIMEOUT: spec({ default: '120', doc: 'Seconds a connection may stay without any traffic in either direction before it is closed (event streams send a keep-alive every 15 s).', parse: seconds(1, 86400) }),
  HTTP_WRITE_TIMEOUT: spec({ default: '600', doc: 'Seconds a client has to read a whole file answer (an export, a task file, a template); a slower reader is disconnected. Event streams are not bound by it.', parse: seconds(1, 86400) }),
  TRANSPORTER: spec({
    default: '',
    doc: 'Moleculer transporter URL (`nats://…`, `redis://…`, `amqp://…`, `tcp://…`), or the servers of a NATS cluster as a comma-separated list (`nats://h1:4222,nats://h2:4222,nats://h3:4222`). Empty: a local broker, no network.',
    parse: transporterUrl(['nats', 'redis', 'rediss', 'amqp', 'amqps', 'tcp']),
  }),
  NAMESPACE: spec({ default: '', doc: 'Moleculer namespace: only nodes with the same namespace see each other.', parse: identifier(64) }),
  NODE_ID: spec({ defaultDoc: '`<hostname>-<pid>`', doc: 'Unique name of this node in the cluster.', parse: (raw) => identifier(128)(raw) || `${hostname()}-${process.pid}` }),
  REQUEST_TIMEOUT: spec({ default: '30', doc: 'Seconds a call between services may take before it fails with a timeout.', parse: seconds(0.1, 3600) }),
  HEARTBEAT_INTERVAL: spec({
    aliases: ['BROKER_HEARTBEAT_INTERVAL'],
    default: '5',
    doc: 'Seconds between broker heartbeats; a node silent for 3 intervals is considered gone.',
    parse: seconds(0.2, 600),
  }),
  LOG_LEVEL: spec({ default: 'info', doc: 'fatal, error, warn, info, debug or trace.', parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace']) }),
  LOG_FORMAT: spec({ default: 'text', doc: '`text` for people, `json` (one object a line) for log collectors.', parse: oneOf(['text', 'json']) }),
  DATABASE_URL: spec({
    secret: true,
    doc: 'PostgreSQL URL (`postgres://user:pass@host:5432/db`). With neither this nor DB_HOST an embedded PostgreSQL is started under STORAGE_PATH.',
    parse: url(['postgres', 'postgresql']),
  }),
  DB_HOST: spec({ doc: 'PostgreSQL host (instead of DATABASE_URL).', parse: optionalText }),
  DB_PORT: spec({ default: '5432', doc: 'PostgreSQL port.', parse: integer(1, 65535) }),
  DB_DATABASE: spec({ default: 'clusterbase', doc: 'Database name; created on first start when missing.', parse: identifier(63) }),
  DB_USER: spec({ default: 'postgres', doc: 'Database user.', parse: text }),
  DB_PASSWORD: spec({ secret: true, default: '', doc: 'Database password.', parse: text }),
  DB_SCHEMA: spec({ default: 'public', doc: 'PostgreSQL schema of the main application.', parse: (raw) => identifier(63)(raw) || 'public' }),
  DB_POOL_MAX: spec({ default: '10', doc: 'Most database connections one node opens.', parse: integer(1, 1000) }),
  EMBEDDED_DB_PORT: spec({ default: '0', doc: 'Port of the embedded PostgreSQL (127.0.0.1 only). 0 picks a free port.', parse: port }),
  STORAGE_PATH: spec({ default: './storage', doc: 'Shared storage directory (embedded database, generated keys, files). Shared by every node of a cluster.', parse: text }),
  REDIS_URL: spec({ secret: true, doc: 'Redis URL every Redis-backed adapter falls back to; when set, readiness checks it. Every Redis URL variable takes `redis://`, `rediss://` or `redis-sentinel://[:password@]host1:26379,host2:26379,host3:26379/<db>#<masterName>` (a master found through Sentinel).', parse: redisUrl }),
  CACHE_DEFAULT_STORE: spec({
    default: 'memory',
    doc: 'Cache store: `memory` (per process) or `redis` (shared by the cluster).',
    parse: oneOf(['memory', 'redis']),
  }),
  CACHE_REDIS_URL: spec({ secret: true, doc: 'Redis of the cache (falls back to REDIS_URL).', parse: redisUrl }),
  PUBSUB_ADAPTER: spec({
    aliases: ['SYNC_ADAPTER'],
    default: 'local',
    doc: 'Sync signal between nodes: `local`/`memory` (one process), `transporter` (Moleculer broadcast) or `redis` (Redis Streams, replayed after a reconnect).',
    parse: (raw) => inProcessAlias(oneOf(['local', 'memory', 'transporter', 'redis'])(raw), 'local'),
  }),
  PUBSUB_ADAPTER_REDIS_URL: spec({ aliases: ['SYNC_REDIS_URL'], secret: true, doc: 'Redis of the sync signal (falls back to REDIS_URL).', parse: redisUrl }),
  PUBSUB_RETENTION: spec({ default: '10000', doc: 'Signals a Redis stream keeps per channel; a node that missed more reloads its state (resync).', parse: integer(100, 10_000_000) }),
  QUEUE_ADAPTER: spec({
    default: 'memory',
    doc: 'Message queue: `memory`/`local` (one process), `redis` (BullMQ) or `rabbitmq` (quorum queues).',
    parse: (raw) => inProcessAlias(oneOf(['memory', 'local', 'redis', 'rabbitmq'])(raw), 'memory'),
  }),
  QUEUE_CONSUMER_STALE_AFTER: spec({
    default: '30',
    doc: 'Seconds a queue consumer of a processor key this node serves may go without a completed poll or delivery round (idle consumers probe, and BullMQ long-polls, every third of it, at least every 1 s) before the node turns unready naming it and re-creates the consumer.',
    parse: seconds(3, 3600),
  }),
  QUEUE_ADAPTER_REDIS_URL: spec({ aliases: ['QUEUE_REDIS_URL'], secret: true, doc: 'Redis of the queue (falls back to REDIS_URL).', parse: redisUrl }),
  QUEUE_ADAPTER_RABBITMQ_URL: spec({ aliases: ['QUEUE_RABBITMQ_URL'], secret: true, doc: 'RabbitMQ URL of the queue (`amqp://user:pass@host:5672`).', parse: url(['amqp', 'amqps']) }),
  LOCK_ADAPTER_DEFAULT: spec({
    aliases: ['LOCK_ADAPTER'],
    default: 'local',
    doc: 'Distributed lock: `local`/`memory` (one process) or `redis`.',
    parse: (raw) => inProcessAlias(oneOf(['local', 'memory', 'redis'])(raw), 'local'),
  }),
  LOCK_ADAPTER_REDIS_URL: spec({ aliases: ['LOCK_REDIS_URL'], secret: true, doc: 'Redis of the lock (falls back to REDIS_URL).', parse: redisUrl }),
  WORKER_ID_ADAPTER: spec({
    default: 'local',
    doc: 'Worker-ID allocator for snowflake IDs: `local`/`memory` (one process) or `redis` (leases 0–31).',
    parse: (raw) => inProcessAlias(oneOf(['local', 'memory', 'redis'])(raw), 'local'),
  }),
  WORKER_ID_REDIS_URL: spec({ secret: true, doc: 'Redis of the worker-ID allocator (falls back to REDIS_URL).', parse: redisUrl }),
  WORKER_ID_LEASE: spec({ default: '30', doc: 'Seconds a worker-ID lease lasts (renewed every third); a released ID waits this long before reuse.', parse: seconds(0.2, 3600) }),
  WORKER_ID_WAIT: spec({
    default: '10',
    doc: 'Seconds an action waits for a worker-ID lease while the node holds none (after a loss, before it leases again); then it answers 503 CB_ERR_ID_NO_WORKER_ID.',
    parse: seconds(0, 3600),
  }),
  CLUSTER_MODE: spec({
    aliases: ['CLUSTER_INSTANCES'],
    default: '',
    doc: 'Multi-core mode: `N` or `max` broker processes sharing the ports; needs cluster adapters (not memory/local).',
    parse: clusterMode,
  }),
  APP_KEY: spec({
    secret: true,
    doc: 'Secret that signs tokens (JWT); every node must share it; at least 32 random characters (`openssl rand -hex 32`); template placeholders and low-entropy values refuse the start. Unset: generated into STORAGE_PATH/keys (with a warning).',
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      const problem = appKeyProblem(raw);
      if (problem) throw new Error(problem);
      return raw;
    },
  }),
  APP_AES_SECRET_KEY: spec({
    secret: true,
    doc: 'AES-256 key (64 hex characters, `openssl rand -hex 32`) that encrypts `encrypted` fields; every node must share it; an all-zero, repeated or low-entropy key refuses the start. Unset: generated into STORAGE_PATH/keys (with a warning).',
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      const problem = aesKeyProblem(raw);
      if (problem) throw new Error(problem);
      return raw.toLowerCase();
    },
  }),
  NEW_APP_AES_SECRET_KEY: spec({
    secret: true,
    doc: 'Only for `npm run reencrypt`: the new AES key (64 hex characters) every encrypted field is re-encrypted under.',
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      if (!/^[0-9a-fA-F]{64}$/.test(raw)) throw new Error(`must be exactly 64 hexadecimal characters, got ${raw.length} characters`);
      return raw.toLowerCase();
    },
  }),
  INIT_ROOT_EMAIL: spec({ default: 'admin@nocobase.com', doc: 'Email of the root user made at first start.', parse: text }),
  INIT_ROOT_USERNAME: spec({ default: 'nocobase', doc: 'Username of the root user made at first start.', parse: text }),
  INIT_ROOT_PASSWORD: spec({
    secret: true,
    default: 'admin123',
    doc: 'Password of the root user made at first start. The default `admin123` (and any password under 12 characters or a template placeholder such as `change-me…`) is accepted only for a single local process; a cluster, a supervisor, a worker or APP_ENV=production refuses to start with it.',
    parse: text,
  }),
  APP_ENV: spec({ default: 'development', doc: '`development`, `test` or `production`. `production` refuses weak root credentials even in a single process.', parse: oneOf(['development', 'test', 'production']) }),
  SIGN_IN_FREE_ATTEMPTS: spec({ default: '3', doc: 'Failed sign-ins of one account (within SIGN_IN_WINDOW) before each further one blocks it for a doubling delay (1 s, 2 s, 4 s …).', parse: integer(1, 1000) }),
  SIGN_IN_MAX_ATTEMPTS: spec({ default: '10', doc: 'Failed sign-ins of one account (within SIGN_IN_WINDOW) that lock it for SIGN_IN_LOCKOUT. Counted cluster-wide in Redis when CACHE_DEFAULT_STORE=redis.', parse: integer(1, 10_000) }),
  SIGN_IN_IP_MAX_ATTEMPTS: spec({ default: '100', doc: 'Failed sign-ins from one IP address (within SIGN_IN_WINDOW) that lock that address for SIGN_IN_LOCKOUT.', parse: integer(1, 1_000_000) }),
  SIGN_IN_WINDOW: spec({ default: '900', doc: 'Seconds failed sign-ins are remembered.', parse: seconds(1, 86400) }),
  SIGN_IN_LOCKOUT: spec({ default: '900', doc: 'Seconds an account or address stays locked after too many failed sign-ins (429 with Retry-After).', parse: seconds(1, 86400) }),
  TOKEN_EXPIRES_IN: spec({ default: '86400', doc: 'Seconds a sign-in token stays valid (default one day, as NocoBase).', parse: seconds(60, 365 * 86400) }),
  IDEMPOTENCY_KEY_TTL: spec({
    default: '86400',
    doc: 'Seconds the answer of a write sent with an `Idempotency-Key` header is kept: a retry within it gets the stored answer instead of a second write.',
    parse: seconds(1, 30 * 86400),
  }),
  DATA_MAX_RECORDS_PER_WRITE: spec({ default: '1000', doc: 'Records one API write (`:create` with an array) may carry; more is a 400 before anything is written. Imports write in ASYNC_TASK_BATCH_SIZE batches and are not bound by it.', parse: integer(1, 100_000) }),
  DATA_MAX_PASSWORD_HASHES: spec({ default: '10', doc: 'Password values one API write may carry (each costs one scrypt hash, ~128 MiB and a few hundred ms); more is a 400 before any is hashed.', parse: integer(1, 10_000) }),
  ASYNC_TASK_MAX_CONCURRENCY: spec({ default: '3', doc: 'Import/export tasks one `async-task:process` node runs at once.', parse: integer(1, 256) }),
  ASYNC_TASK_BATCH_SIZE: spec({ default: '1000', doc: 'Rows an import commits per transaction (and an export fetches per cursor read); a stop takes effect within one batch.', parse: integer(1, 100_000) }),
  ASYNC_TASK_LEASE: spec({ default: '30', doc: 'Seconds a running task stays owned by its node without a renewal (renewed every third); an orphaned task is taken over after it.', parse: seconds(0.2, 3600) }),
  ASYNC_TASK_SWEEP_INTERVAL: spec({ default: '10', doc: 'Seconds between sweeps for orphaned tasks (taken over) and expired task files (removed).', parse: seconds(0.1, 3600) }),
  ASYNC_TASK_RETENTION: spec({ default: '604800', doc: 'Seconds a finished task\'s file is kept under STORAGE_PATH (default 7 days).', parse: seconds(1, 10 * 365 * 86400) }),
  EXPORT_MAX_CONCURRENT_PER_USER: spec({ default: '3', doc: 'Inline exports one user may have open on a node at once (being written or read by the client); one more is a 429.', parse: integer(1, 1000) }),
  EXPORT_INLINE_MAX_ROWS: spec({ default: '2000', doc: 'An export of at most this many rows answers the file at once; a larger one (or `async=true`) answers 202 with a task id.', parse: integer(0, 10_000_000) }),
  IMPORT_MAX_FILE_SIZE: spec({ default: '100mb', doc: 'Largest file an import accepts (bytes, or with kb/mb/gb); a larger one is a 413 naming this limit.', parse: bytes }),
  IMPORT_XLSX_MAX_UNCOMPRESSED: spec({ default: '256mb', doc: 'Largest total decompressed size of an imported xlsx (a zip bomb is refused with a 400 naming this limit before any sheet is parsed).', parse: bytes }),
  IMPORT_XLSX_MAX_ENTRIES: spec({ default: '1000', doc: 'Most zip entries an imported xlsx may hold (more is a 400 naming this limit).', parse: integer(1, 1_000_000) }),
  IMPORT_XLSX_MAX_SHARED_STRINGS: spec({ default: '1000000', doc: 'Most shared strings an imported xlsx may hold (a table expanding to millions of strings is a 400 naming this limit).', parse: integer(1, 100_000_000) }),
  IMPORT_CHECK_MAX_HEAP: spec({ default: '256', doc: 'Heap limit (MB) of the worker thread that reads an uploaded file\'s header row before an import is accepted; a file needing more is a 400 naming this limit.', parse: integer(64, 16_384) }),
  IMPORT_CHECK_TIMEOUT: spec({ default: '60', doc: 'Seconds the header check of an uploaded file may take before the import is refused with a 400.', parse: seconds(1, 3600) }),
  ASYNC_TASK_MAX_PENDING_PER_USER: spec({ default: '5', doc: 'Tasks one user may have waiting or running at once; another is a 429 naming this limit.', parse: integer(1, 10_000) }),
  ASYNC_TASK_MAX_STORED_PER_USER: spec({ default: '20', doc: 'Finished task files one user may keep under STORAGE_PATH; another export or import is a 429 naming this limit (destroy old tasks with asyncTasks:destroy).', parse: integer(1, 100_000) }),
  STORAGE_MIN_FREE: spec({ default: '256mb', doc: 'Free bytes STORAGE_PATH\'s volume must keep: below it, new exports and imports are refused with 507.', parse: bytes }),
  WORKFLOW_LEASE: spec({
    default: '30',
    doc: 'Seconds a workflow worker owns a claimed execution without committing a step or renewing; after that another worker resumes it from its last committed job.',
    parse: seconds(0.2, 3600),
  }),
  WORKFLOW_SWEEP_INTERVAL: spec({
    default: '15',
    doc: 'Seconds between sweeps (one node at a time, under a lock) that re-enqueue executions stuck in QUEUEING or whose lease or delay ran out.',
    parse: seconds(0.1, 3600),
  }),
  WORKFLOW_QUEUEING_GRACE: spec({ default: '10', doc: 'Seconds an execution may wait in QUEUEING before the sweep enqueues it again.', parse: seconds(0, 3600) }),
  WORKFLOW_SCHEDULE_TICK: spec({ default: '1', doc: 'Seconds between looks at schedule triggers on workflow:process nodes.', parse: seconds(0.05, 3600) }),
  WORKFLOW_SYNC_TIMEOUT: spec({ default: '10', doc: 'Seconds a synchronous (`sync: true`) workflow may run inside its request before the request is rejected and rolled back.', parse: seconds(0.1, 600) }),
  WORKFLOW_CONCURRENCY: spec({ default: '4', doc: 'Executions one workflow:process node runs at once.', parse: integer(1, 256) }),
  WORKFLOW_REQUEST_ALLOW: spec({
    default: '',
    doc: 'Comma-separated host names (`*.svc.local` for sub-domains), IP addresses and CIDR ranges the workflow request node may reach although they are internal (loopback, private, link-local, unique-local). Empty: public addresses only.',
    parse: (raw) => {
      const entries = (raw ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
      requestPolicy({ allow: entries });
      return entries;
    },
  }),
  WORKFLOW_REQUEST_MAX_TIMEOUT: spec({ default: '60', doc: 'Upper bound, in seconds, of one attempt of a workflow request node, whatever its own `timeout` says.', parse: seconds(0.1, 600) }),
  SHUTDOWN_DELAY: spec({
    default: '0',
    doc: 'Seconds a stopping node keeps serving while answering 503 on readiness, so load balancers take it out first.',
    parse: seconds(0, 600),
  }),
  SHUTDOWN_TIMEOUT: spec({ default: '30', doc: 'Seconds in-flight requests and jobs get to finish on stop before the process exits anyway.', parse: seconds(0.1, 3600) }),
  APP_MODE: spec({
    default: 'standalone',
    doc: 'Multi-app role of this node: `standalone` (one node, main app only), `supervisor` (apps + environments control plane, proxy, /admin) or `worker` (an environment hosting apps the supervisor assigns).',
    parse: oneOf(['standalone', 'supervisor', 'worker']),
  }),
  APP_DISCOVERY_ADAPTER: spec({
    default: 'local',
    doc: 'How the supervisor learns environments: `local` (only itself, shared-memory mode) or `remote` (workers register over Redis).',
    parse: (raw) => inProcessAlias(oneOf(['local', 'memory', 'remote'])(raw), 'local'),
  }),
  APP_PROCESS_ADAPTER: spec({
    default: 'local',
    doc: 'Where apps run: `local` (in this process: shared-memory mode on a supervisor, always on a worker) or `remote` (on worker environments, supervisor only).',
    parse: (raw) => inProcessAlias(oneOf(['local', 'memory', 'remote'])(raw), 'local'),
  }),
  APP_SUPERVISOR_REDIS_URL: spec({ secret: true, doc: 'Redis caching app and environment configuration, shared by the supervisor and its workers (falls back to REDIS_URL).', parse: redisUrl }),
  APP_COMMAND_ADAPTER: spec({
    default: 'local',
    doc: 'Channel of supervisor → environment commands: `local` (in-process) or `redis`.',
    parse: (raw) => inProcessAlias(oneOf(['local', 'memory', 'redis'])(raw), 'local'),
  }),
  APP_COMMAND_REDIS_URL: spec({ secret: true, doc: 'Redis of the command channel (falls back to REDIS_URL).', parse: redisUrl }),
  APP_COMMAND_ACK_TIMEOUT: spec({ default: '10', doc: 'Seconds an environment has to acknowledge a command before it counts as not delivered (and is discarded if picked up later).', parse: seconds(0.1, 3600) }),
  APP_COMMAND_TIMEOUT: spec({ default: '300', doc: 'Seconds an acknowledged command (e.g. an app start with its migrations) may take before its outcome is recorded as a timeout.', parse: seconds(0.1, 86400) }),
  ENVIRONMENT_NAME: spec({ doc: 'Worker only: the name of the environment this node belongs to (e.g. `env_a`).', parse: (raw) => identifier(63)(raw) || undefined }),
  ENVIRONMENT_URL: spec({ doc: 'Worker only: URL of this environment\'s HTTP gateway, as shown to users and used by the proxy.', parse: url(['http', 'https']) }),
  ENVIRONMENT_PROXY_URL: spec({ doc: 'Worker only: URL the supervisor proxies to instead of ENVIRONMENT_URL (e.g. an internal address).', parse: url(['http', 'https']) }),
  ENVIRONMENT_HEARTBEAT_INTERVAL: spec({
    default: '120',
    doc: 'Seconds between a worker environment\'s heartbeats to the supervisor (HEARTBEAT_INTERVAL is the broker heartbeat, seconds apart).',
    parse: seconds(0.1, 3600),
  }),
  ENVIRONMENT_HEARTBEAT_GRACE: spec({
    defaultDoc: 'two heartbeat intervals',
    doc: 'Seconds past a missed heartbeat before an environment shows unavailable, so one late heartbeat does not flap it.',
    parse: (raw) => (raw === undefined || raw === '' ? undefined : seconds(0, 86400)(raw)),
  }),
} as const;

export type Variables = typeof variables;
export type VariableName = keyof Variables;
export type Values = { readonly [K in VariableName]: ReturnType<Variables[K]['parse']> };
