import type { BrokerOptions, Middleware } from 'moleculer';
import type { Config } from '../config/index.js';
import { moleculerCacherOptions } from '../cluster-adapters/index.js';
import { PrometheusTextReporter } from './metrics-reporter.js';
import { ClusterNatsTransporter } from './nats-transporter.js';
import { NodeState } from './node-state.js';
import { runtimeMiddleware } from './runtime-middleware.js';
import type { ServiceEntry } from './service-catalogue.js';

/** The transporter option of TRANSPORTER (exported for the NATS cluster test). */
export function transporter(url: string | null): BrokerOptions['transporter'] {
  if (!url) return undefined;
  // A NATS cluster is a comma-separated list of nats:// URLs (checked by shared/config).
  const scheme = /^([a-z]+):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'nats':
      return new ClusterNatsTransporter({ url });
    case 'redis':
    case 'rediss':
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- Moleculer's Redis transporter takes the URL string as its options (its constructor accepts one); TransporterConfig's typing lists only the object form
      return { type: 'Redis', options: url } as BrokerOptions['transporter'];
    case 'amqp':
    case 'amqps':
      return { type: 'AMQP', options: { url } };
    default:
      // tcp:// selects Moleculer's TCP transporter with UDP discovery on the local network.
      return 'TCP';
  }
}

/**
 * Retries are off by default: only actions that declare themselves idempotent
 * (`retryPolicy: IDEMPOTENT_RETRY`) are retried, and only on retryable errors.
 */
export const IDEMPOTENT_RETRY = {
  enabled: true,
  retries: 3,
  delay: 100,
  maxDelay: 1000,
  factor: 2,
  check: (err: Error & { retryable?: boolean }) => err.retryable === true,
};

export interface NodeOptions {
  readonly brokerOptions: BrokerOptions;
  readonly state: NodeState;
}

export interface CreateOptions {
  /** Print a start-up refusal and exit (real launches); tests leave it off and get the error. */
  readonly exitOnRefusal?: boolean;
  /** The service files to check WORKER_MODE against; the services/ folder by default. */
  readonly catalogue?: () => ServiceEntry[];
}

/** The one place that turns configuration into broker options (transporter, logging, metrics, lifecycle). */
export function createBrokerOptions(config: Config, opts: CreateOptions = {}): NodeOptions {
  const state = new NodeState(config);
  const metrics = new PrometheusTextReporter({});
  const middlewares: Middleware[] = [runtimeMiddleware(state, metrics, opts)];
  const brokerOptions: BrokerOptions = {
    namespace: config.namespace,
    nodeID: config.nodeId,
    transporter: transporter(config.transporter),
    serializer: 'JSONExt',
    cacher: moleculerCacherOptions({
      type: config.adapters.cache.type,
      url: config.adapters.cache.url ?? undefined,
      prefix: config.namespace ? `cb:${config.namespace}:action` : 'cb:action',
    }) as BrokerOptions['cacher'],
    requestTimeout: config.requestTimeoutMs,
    retryPolicy: { ...IDEMPOTENT_RETRY, enabled: false },
    heartbeatInterval: config.heartbeatMs / 1000,
    heartbeatTimeout: (config.heartbeatMs * 3) / 1000,
    logger: {
      type: 'Console',
      options: {
        level: config.log.level,
        formatter: config.log.format === 'json' ? 'json' : 'short',
        colors: config.log.format === 'text' && process.stdout.isTTY === true,
        moduleColors: false,
        autoPadding: false,
      },
    },
    metrics: { enabled: true, reporter: [metrics as never] },
    // Services wait for their in-flight calls before stopping.
    tracking: { enabled: true, shutdownTimeout: config.shutdown.timeoutMs },
    tracing: { enabled: false },
    middlewares,
  };
  configs.set(brokerOptions, config);
  return { brokerOptions, state };
}

const configs = new WeakMap<BrokerOptions, Config>();

/** The configuration broker options were made from (for the launcher, before any broker exists). */
export function nodeConfig(options: BrokerOptions): Config {
  const config = configs.get(options);
  if (!config) throw new Error('these broker options were not made by createBrokerOptions');
  return config;
}
