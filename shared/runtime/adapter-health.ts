import type { Redis } from 'ioredis';
import { createRedisClient, redisServerLabel } from '../redis/index.js';
import type { ServiceBroker } from 'moleculer';
import { OutageLog, watchConnection } from '../errors/index.js';
import type { ClusterAdapters } from '../cluster-adapters/index.js';
import type { NodeState } from './node-state.js';
import { serving } from '../worker-mode/index.js';

/** Processor keys whose work arrives on a queue (their services subscribe when they start). */
const CONSUMING_KEYS = ['workflow:process', 'async-task:process'] as const;

const GAUGES = ['waiting', 'delayed', 'inFlight', 'deadLettered'] as const;
const METRIC: Record<(typeof GAUGES)[number], string> = {
  waiting: 'cb.queue.waiting',
  delayed: 'cb.queue.delayed',
  inFlight: 'cb.queue.in_flight',
  deadLettered: 'cb.queue.dead_lettered',
};

/** Other nodes this node can see in its cluster (over the transporter). */
export function otherNodes(broker: ServiceBroker): string[] {
  const nodes = broker.registry.getNodeList({ onlyAvailable: true, withServices: false }) as Array<{ id: string; local: boolean }>;
  return nodes.filter((n) => !n.local).map((n) => n.id);
}

/** The refusal for in-process adapters on a node that shares its cluster, or null. */
export function inProcessConflict(broker: ServiceBroker, adapters: ClusterAdapters): string | null {
  const local = adapters.inProcess();
  const others = otherNodes(broker);
  if (local.length === 0 || others.length === 0) return null;
  return (
    `${local.join(', ')} keep state inside this process, but this node shares its cluster with ${others.slice(0, 3).join(', ')}` +
    `${others.length > 3 ? ` and ${others.length - 3} more` : ''}: every node would lock, number and queue on its own; configure the Redis/RabbitMQ adapters`
  );
}

/**
 * Readiness checks and metrics of the cluster middleware: the worker-ID lease must be live (a node
 * that lost it issues no IDs), in-process adapters must not be shared with other nodes, and queue
 * depth / in-flight / dead-letter counts are exported for autoscaling.
 */
export function watchAdapters(broker: ServiceBroker, state: NodeState, adapters: ClusterAdapters): () => Promise<void> {
  const log = broker.getLogger('runtime');
  const outageLog = { warn: (m: string) => log.warn(m), info: (m: string) => log.info(m) };
  const pingers = redisPingers(state, outageLog);
  const database = databaseWatch(state, outageLog);
  state.addCheck('worker-id', async () => {
    if (!adapters.workerIds.healthy()) throw new Error('no live worker-ID lease: this node issues no IDs');
  });
  consumerChecks(broker, state, adapters);
  state.addCheck('adapters', async () => {
    const conflict = inProcessConflict(broker, adapters);
    if (conflict) throw new Error(conflict);
  });

  const registry = broker.metrics;
  const gauges = GAUGES.map((field) => {
    const name = METRIC[field];
    const gauge = (registry.getMetric(name) ??
      registry.register({ name, type: 'gauge', labelNames: ['channel'], description: `Queue messages ${field} per channel` } as never)) as unknown as {
      set(value: number, labels: Record<string, string>): void;
    };
    return { field, gauge };
  });
  state.onMetrics(async () => {
    for (const [channel, stats] of await adapters.queueStats()) {
      for (const { field, gauge } of gauges) gauge.set(stats[field], { channel });
    }
  });
  return async () => {
    clearInterval(database);
    for (const p of pingers) clearInterval(p.timer);
    await Promise.allSettled(pingers.map((p) => p.client.quit()));
  };
}

/**
 * One readiness check per queue-consuming processor key this node serves (`consumer:workflow:process`,
 * `consumer:async-task:process`): its consumers are attached and completed a round within
 * QUEUE_CONSUMER_STALE_AFTER (see ConsumerSupervisor, which also re-creates a stopped one).
 */
function consumerChecks(broker: ServiceBroker, state: NodeState, adapters: ClusterAdapters): void {
  const loaded = (key: string) =>
    broker.services.some((s) => {
      const role = (s.schema.metadata as { role?: { kind?: string; key?: string } } | undefined)?.role;
      return role?.kind === 'processor' && role.key === key;
    });
  for (const key of CONSUMING_KEYS) {
    if (!serving(state.config.workerMode, key)) continue;
    state.addCheck(`consumer:${key}`, async () => {
      if (!loaded(key)) return; // a node built without that service (tests, custom catalogues) consumes nothing for it
      if (!adapters.consumers.keys().has(key)) throw new Error(`this node serves ${key} but consumes no queue for it yet`);
      const problems = adapters.consumers.problems(key);
      if (problems.length > 0) throw new Error(problems.join('; '));
    });
  }
}

/** Every second, a database check: an outage is logged once when it starts and once when it ends. */
function databaseWatch(state: NodeState, log: { warn(m: string): void; info(m: string): void }): NodeJS.Timeout {
  const url = state.config.db.kind === 'external' ? new URL(state.config.db.url) : null;
  const outage = new OutageLog(url ? `postgresql ${url.hostname}:${url.port || 5432}` : 'the embedded postgresql', state.config.nodeId, log);
  let checking = false;
  const timer = setInterval(() => {
    if (checking || !state.started) return;
    checking = true;
    state
      .services()
      .database.check(2000)
      .then(() => outage.ok(), (error: unknown) => outage.failed(error))
      .finally(() => (checking = false));
  }, 1000);
  timer.unref();
  return timer;
}

/**
 * One readiness check per Redis server the node uses (REDIS_URL and any adapter's own URL): a PING
 * on a dedicated connection that never queues commands, so an unreachable Redis fails at once.
 */
function redisPingers(state: NodeState, log: { warn(m: string): void; info(m: string): void }): Array<{ client: Redis; timer: NodeJS.Timeout }> {
  const a = state.config.adapters;
  const urls = new Set([state.config.redisUrl, a.cache.url, a.sync.url, a.lock.url, a.workerId.url, a.queue.type === 'redis' ? a.queue.url : null].filter((u): u is string => !!u));
  return [...urls].map((url) => {
    const client = createRedisClient(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectionName: 'cb-readiness' });
    // The node's one log of this Redis's outages (start and end), also reported by the check.
    const outage = watchConnection(client, `redis ${redisServerLabel(url)}`, state.config.nodeId, log)!;
    const ping = async () => {
      if (client.status === 'wait' || client.status === 'end') await client.connect().catch(() => undefined);
      await client.ping();
      outage.ok();
    };
    state.addCheck(urls.size === 1 ? 'redis' : `redis:${redisServerLabel(url)}`, ping);
    const timer = setInterval(() => void ping().catch((error: unknown) => outage.failed(error)), 1000);
    timer.unref();
    return { client, timer };
  });
}
