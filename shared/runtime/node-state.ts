import type { FastifyInstance } from 'fastify';
import type { ServiceBroker } from 'moleculer';
import { cbError } from '../errors/index.js';
import type { Config } from '../config/index.js';
import { serving } from '../worker-mode/index.js';
import type { NodeServices } from './node-services.js';
import type { ReadinessCheck } from './types.js';

/**
 * What one broker node knows about itself: its config, whether it is draining, the readiness checks,
 * drain hooks, metrics and HTTP routes its parts registered, and — once started — its NodeServices.
 * One per broker, reached with `nodeState(broker)` (only shared/runtime and services/ do).
 */
export class NodeState {
  readonly config: Config;
  /** Set by the runtime when the node has started (database, keys, adapters), cleared when it stops. */
  private current: NodeServices | null = null;
  /** Set when a stop began: readiness answers 503 from then on, new HTTP requests too. */
  draining = false;
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly drainers: Array<() => Promise<void>> = [];
  private readonly metricRefreshers: Array<() => Promise<void>> = [];
  private readonly metricTexts: Array<() => string> = [];
  private readonly httpRoutes: Array<(server: FastifyInstance) => void | Promise<void>> = [];

  constructor(config: Config) {
    this.config = config;
  }

  /** The started node's database, keys and cluster adapters; a 503 (CB_ERR_NODE_NOT_STARTED) before start or after stop. */
  services(): NodeServices {
    if (!this.current) throw cbError('CB_ERR_NODE_NOT_STARTED');
    return this.current;
  }

  /** Whether the node's services exist (the database and adapters are connected). */
  get started(): boolean {
    return this.current !== null;
  }

  /** @internal The runtime middleware's: the node started (`services`) or stopped (null). */
  setServices(services: NodeServices | null): void {
    this.current = services;
  }

  /**
   * Registers routes on the API gateway's fastify instance. Collected in services' `created()`, applied
   * by the api service after the gateway is built and before it listens.
   */
  addHttpRoutes(register: (server: FastifyInstance) => void | Promise<void>): void {
    this.httpRoutes.push(register);
  }

  async applyHttpRoutes(server: FastifyInstance): Promise<void> {
    for (const register of this.httpRoutes) await register(server);
  }

  /** Does this node serve `key` (a processor key, or `!` for requests)? */
  serving(key: string): boolean {
    return serving(this.config.workerMode, key);
  }

  addCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  removeCheck(name: string): void {
    this.checks.delete(name);
  }

  readinessChecks(): ReadonlyMap<string, ReadinessCheck> {
    return this.checks;
  }

  /** Registers a refresh run before /metrics renders (gauges read from a broker, e.g. queue depth). */
  onMetrics(refresh: () => Promise<void>): void {
    this.metricRefreshers.push(refresh);
  }

  async refreshMetrics(): Promise<void> {
    await Promise.allSettled(this.metricRefreshers.map((r) => r()));
  }

  /** Adds metrics kept outside Moleculer's registry (already in Prometheus text) to /metrics. */
  addMetricsText(render: () => string): void {
    this.metricTexts.push(render);
  }

  metricsText(): string {
    return this.metricTexts.map((r) => r()).join('');
  }

  /**
   * Registers work to finish before any service stops, e.g. the gateway closing its port and
   * letting in-flight requests complete while the services they call are still up.
   */
  onDrain(drain: () => Promise<void>): void {
    this.drainers.push(drain);
  }

  /** Runs the drain hooks, bounded by SHUTDOWN_TIMEOUT. */
  async drain(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.config.shutdown.timeoutMs);
    });
    await Promise.race([Promise.allSettled(this.drainers.map((d) => d())), limit]);
    clearTimeout(timer);
  }
}

/**
 * Kept on the broker under a registered symbol, so every copy of this module reaches the same state
 * (a plugin or test fixture compiled separately, e.g. plain JS over dist/, beside the TypeScript source).
 */
const STATE = Symbol.for('clusterbase.nodeState');
type WithState = { [STATE]?: NodeState };

export function attachNodeState(broker: ServiceBroker, state: NodeState): void {
  Object.defineProperty(broker, STATE, { value: state, configurable: true, enumerable: false });
}

/** The state of the node `broker` runs on; throws when the broker was not built by clusterbase's config. */
export function nodeState(broker: ServiceBroker): NodeState {
  const state = (broker as unknown as WithState)[STATE];
  if (!state) throw new Error('this broker was not created from moleculer.config.ts (no clusterbase node state)');
  return state;
}
