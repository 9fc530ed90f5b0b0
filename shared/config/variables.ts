import { hostname } from 'node:os';
import { parseWorkerMode } from '../worker-mode/index.js';
import type { VarSpec } from './types.js';
import { bytes, identifier, integer, oneOf, optionalText, port, seconds, text, url } from './parsers.js';

function spec<T>(s: VarSpec<T>): VarSpec<T> {
  return s;
}

const REDIS_SCHEMES = ['redis', 'rediss'];

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
  APP_HOST: spec({ default: '0.0.0.0', doc: 'Address the API gateway and the management port listen on.', parse: text }),
  HEALTH_PORT: spec({
    default: '13001',
    doc: 'Management port of every node: `/healthz`, `/readyz`, `/metrics`. 0 picks a free port.',
    parse: port,
  }),
  HTTP_BODY_LIMIT: spec({ default: '10mb', doc: 'Largest request body the gateway accepts (bytes, or with kb/mb/gb).', parse: bytes }),
  TRANSPORTER: spec({
    default: '',
    doc: 'Moleculer transporter URL (`nats://…`, `redis://…`, `amqp://…`, `tcp://…`). Empty: a local broker, no network.',
    parse: url(['nats', 'redis', 'rediss', 'amqp', 'amqps', 'tcp']),
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
  REDIS_URL: spec({ secret: true, doc: 'Redis URL every Redis-backed adapter falls back to; when set, readiness checks it.', parse: url(REDIS_SCHEMES) }),
  SHUTDOWN_DELAY: spec({
    default: '0',
    doc: 'Seconds a stopping node keeps serving while answering 503 on readiness, so load balancers take it out first.',
    parse: seconds(0, 600),
  }),
  SHUTDOWN_TIMEOUT: spec({ default: '30', doc: 'Seconds in-flight requests and jobs get to finish on stop before the process exits anyway.', parse: seconds(0.1, 3600) }),
} as const;

export type Variables = typeof variables;
export type VariableName = keyof Variables;
export type Values = { readonly [K in VariableName]: ReturnType<Variables[K]['parse']> };
