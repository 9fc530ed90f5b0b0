import type { ServiceBroker } from 'moleculer';
import { type Config, inProcessAdapters } from '../config/index.js';
import { StartupRefusal, type Logger } from '../errors/index.js';
import { createSnowflake, type SnowflakeGenerator } from '../ids/index.js';
import { resolveLockAdapter, type LockAdapter } from '../lock/index.js';
import { resolveQueue, type MessageQueue, type QueueStats } from '../queue/index.js';
import { resolveSyncSignal, type SyncSignal } from '../sync/index.js';
import { resolveKeyValueCache, resolveBloomFilter, type BloomFilter, type KeyValueCache } from '../cache/index.js';
import { SignInGuard } from '../auth/index.js';
import { NodeWork } from './node-work.js';
import { ConsumerSupervisor } from './consumer-supervisor.js';
import { resolveWorkerIdAllocator, WorkerIdsExhaustedError, type WorkerIdAllocator } from '../worker-id/index.js';

/** The logger the adapters report to (a Moleculer logger fits). */
export type ClusterLogger = Logger;

/**
 * The cluster middleware of one node, each behind the adapter its configuration names: lock,
 * worker-ID lease and snowflake IDs, message queue, sync signal, key/value cache, shared Bloom filter.
 * Connected before the node's services start, closed after they stop.
 */
export class ClusterAdapters {
  readonly lock: LockAdapter;
  readonly workerIds: WorkerIdAllocator;
  readonly ids: SnowflakeGenerator;
  readonly queue: MessageQueue;
  readonly sync: SyncSignal;
  readonly cache: KeyValueCache;
  /** The shared list of signed-out tokens and other "seen before?" sets. */
  readonly bloom: BloomFilter;
  /** Failed sign-in counts: in Redis with the Redis cache (cluster-wide), else in process. */
  readonly signInGuard: SignInGuard;
  /** Channels this node published to or consumed, reported on /metrics. */
  readonly queueChannels = new Set<string>();
  /** This node's consumers (paused while drained), running deliveries and held locks, for the cluster console. */
  readonly work = new NodeWork();
  /** Epoch ms when the current worker-ID lease was taken (null before the first). */
  leasedAt: number | null = null;
  /** Liveness of this node's processor consumers (workflow:process, async-task:process), re-created when they stop. */
  readonly consumers: ConsumerSupervisor;

  constructor(private readonly config: Config, broker: ServiceBroker, private readonly log: ClusterLogger) {
    const a = config.adapters;
    const prefix = config.namespace ? `cb:${config.namespace}` : 'cb';
    this.lock = resolveLockAdapter(a.lock.type === 'redis' ? { type: 'redis', url: a.lock.url!, prefix } : { type: 'memory' });
    this.workerIds = resolveWorkerIdAllocator(
      a.workerId.type === 'redis'
        ? { type: 'redis', url: a.workerId.url!, prefix, leaseMs: a.workerId.leaseMs, recover: true }
        : { type: 'memory', leaseMs: a.workerId.leaseMs, recover: true },
    );
    this.ids = createSnowflake({ workerIds: this.workerIds });
    const queueLog = { info: (m: string) => log.info(m), warn: (m: string) => log.warn(m), error: (m: string) => log.error(m), debug: (m: string) => log.debug(m) };
    const consumerProbeMs = Math.max(10, Math.floor(a.queue.staleAfterMs / 3));
    const queue = resolveQueue(
      a.queue.type === 'memory'
        ? { type: 'memory', prefix, logger: queueLog, consumerProbeMs }
        : { type: a.queue.type, url: a.queue.url!, prefix, logger: queueLog, consumerProbeMs },
    );
    this.consumers = new ConsumerSupervisor(queue, { staleAfterMs: a.queue.staleAfterMs, log: queueLog });
    this.queue = this.trackChannels(queue);
    this.sync = resolveSyncSignal(
      (a.sync.type === 'redis'
        ? { type: 'redis', url: a.sync.url!, prefix: `${prefix}:sync`, retention: a.sync.retention, nodeId: config.nodeId, logger: queueLog }
        : a.sync.type === 'transporter'
          ? { type: 'transporter', broker, nodeId: config.nodeId, logger: queueLog }
          : { type: 'local', nodeId: config.nodeId, logger: queueLog }) as never,
    );
    this.cache = resolveKeyValueCache(
      a.cache.type === 'redis' ? { type: 'redis', url: a.cache.url!, prefix: `${prefix}:cache` } : { type: 'memory', prefix: `${prefix}:cache` },
    );
    const bloom = { name: 'signed-out-tokens', expectedItems: 1_000_000, falsePositiveRate: 0.001, prefix: `${prefix}:bloom` };
    this.bloom = resolveBloomFilter(a.cache.type === 'redis' ? { ...bloom, type: 'redis', url: a.cache.url! } : { ...bloom, type: 'memory' });
    const limits = { ...config.auth.signIn, prefix };
    this.signInGuard = new SignInGuard(a.cache.type === 'redis' ? { ...limits, type: 'redis', url: a.cache.url! } : { ...limits, type: 'memory' });
    this.queue = this.work.wrapQueue(this.queue);
    this.lock = this.work.wrapLock(this.lock);
  }

  /** The queue, remembering every channel this node publishes to or consumes, for /metrics. */
  private trackChannels(queue: MessageQueue): MessageQueue {
    const channels = this.queueChannels;
    return {
      type: queue.type,
      connect: () => queue.connect(),
      close: (options) => queue.close(options),
      publish: (channel, message, options) => {
        channels.add(channel);
        return queue.publish(channel, message, options);
      },
      subscribe: (channel, handler, options) => {
        channels.add(channel);
        return this.consumers.subscribe(channel, handler, options);
      },
      deadLetters: (channel, options) => queue.deadLetters(channel, options),
      requeueDeadLetters: (channel, ids) => queue.requeueDeadLetters(channel, ids),
      stats: (channel) => queue.stats(channel),
      deleteChannel: (channel) => queue.deleteChannel(channel),
      discardDeadLetters: (channel, ids) => queue.discardDeadLetters(channel, ids),
      oldestWaitingMs: (channel) => queue.oldestWaitingMs(channel),
    };
  }

  /** Connects every adapter and leases a worker ID; refuses the start when all 32 are taken. */
  async connect(): Promise<void> {
    const parts = [this.lock, this.queue, this.sync, this.cache, this.bloom, this.signInGuard] as Array<{ connect?: () => Promise<void> }>;
    await Promise.all(parts.map(async (p) => p.connect?.()));
    try {
      const id = await this.workerIds.acquire();
      this.leasedAt = Date.now();
      this.log.info(`worker ID ${id} leased (${this.workerIds.type}, lease ${this.workerIds.leaseMs} ms)`);
    } catch (err) {
      if (err instanceof WorkerIdsExhaustedError) throw new StartupRefusal('CB_ERR_WORKER_ID_EXHAUSTED', [`WORKER_ID_ADAPTER: ${err.message}`]);
      throw err;
    }
    this.workerIds.onLost((event) =>
      this.log.error(`worker ID ${event.workerId} lease lost (${event.reason}): this node issues no IDs and is not ready until it leases one again (retrying with backoff)`),
    );
    this.workerIds.onAcquired((workerId) => {
      this.leasedAt = Date.now();
      this.log.info(`worker ID ${workerId} leased again: issuing IDs, ready`);
    });
  }

  async close(): Promise<void> {
    this.consumers.close();
    await this.queue.close();
    const parts = [this.sync, this.lock, this.cache, this.bloom, this.signInGuard, this.workerIds] as Array<{ close?: () => Promise<void> }>;
    await Promise.allSettled(parts.map(async (p) => p.close?.()));
  }

  /** The in-process adapters this node runs with, by the variable that chose them. */
  inProcess(): string[] {
    return inProcessAdapters(this.config.adapters);
  }

  async queueStats(): Promise<Map<string, QueueStats>> {
    const stats = new Map<string, QueueStats>();
    await Promise.all([...this.queueChannels].map(async (c) => stats.set(c, await this.queue.stats(c))));
    return stats;
  }
}
