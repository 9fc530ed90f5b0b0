import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedisClient, requireRedisUrl } from '../redis/index.js';
import type {
  CloseOptions,
  DeadLetter,
  DeadLettersOptions,
  MessageHandler,
  MessageQueue,
  PublishOptions,
  QueueStats,
  RedisQueueOptions,
  SubscribeOptions,
  Unsubscribe,
} from './types.js';
import { bodyJson, parseEnvelope, rawPayload } from './envelope.js';
import { RedisSubscription } from './redis-subscription.js';
import { redisDependency, watchConnection, type OutageLog } from '../errors/index.js';
import { errorText, queueClosed, queueUnavailable } from './queue-errors.js';
import {
  checkChannel,
  checkClose,
  checkConcurrency,
  checkLimit,
  checkPublishOptions,
  msOption,
  resolveCommon,
  type ResolvedCommon,
} from './validate.js';

/**
 * BullMQ jobIds may not be integers nor contain ':'; ours may. Ids that BullMQ would refuse are
 * percent-encoded behind a leading '%' (which no unencoded id has, since '%' forces encoding).
 */
export function bullJobId(id: string): string {
  return /[:%]/.test(id) || `${Number.parseInt(id, 10)}` === id ? `%${encodeURIComponent(id)}` : id;
}

/** BullMQ queue names may not contain ':'; channel names cannot contain '~', so this is one to one. */
function bullQueueName(channel: string): string {
  return channel.replaceAll(':', '~');
}

const COUNTED_STATES = ['wait', 'prioritized', 'waiting-children', 'delayed', 'active', 'failed'] as const;

/**
 * Redis adapter on BullMQ: one BullMQ queue per channel under the key prefix `<prefix>:queue`.
 * Retries and backoff are BullMQ's; the dead-letter queue is BullMQ's failed set (kept, never
 * trimmed) and requeue is `job.retry` with the attempt counters reset. A consumer that dies keeps its
 * jobs locked for `lockDurationMs`; after that another worker's stalled check (every
 * `stalledIntervalMs`) puts them back to wait, up to `redeliveryLimit` times, then fails them.
 */
export class RedisQueue implements MessageQueue {
  readonly type = 'redis' as const;
  private readonly options: ResolvedCommon;
  private readonly url: string;
  private readonly bullPrefix: string;
  private readonly lockDurationMs: number;
  private readonly stalledIntervalMs: number;
  private readonly drainDelaySec: number;
  /** Publisher / admin connection: fails commands after a few reconnect attempts instead of hanging. */
  private client: Redis | undefined;
  /** Shared by workers (BullMQ duplicates it for their blocking reads); must not give up on commands. */
  private workerClient: Redis | undefined;
  private connecting: Promise<void> | undefined;
  /** This queue's Redis outages, logged once at their start and end. */
  private outage: OutageLog | null = null;
  private closed = false;
  private readonly queues = new Map<string, Queue>();
  private readonly subscriptions = new Set<RedisSubscription>();
  private readonly publishing = new Set<Promise<unknown>>();

  constructor(options: RedisQueueOptions) {
    this.options = resolveCommon(options);
    this.url = requireRedisUrl(options.url, 'The redis queue adapter', 'QUEUE_ADAPTER_REDIS_URL or REDIS_URL');
    this.bullPrefix = `${this.options.prefix}:queue`;
    this.lockDurationMs = msOption('lockDurationMs', options.lockDurationMs, 30_000);
    this.stalledIntervalMs = msOption('stalledIntervalMs', options.stalledIntervalMs, 30_000);
    // An idle worker's long poll is its liveness round: it must come back within consumerProbeMs
    // (BullMQ blocks in whole seconds, so at least 1 s), or a healthy idle consumer reads as stalled.
    const drainDelayMs = Math.min(msOption('drainDelayMs', options.drainDelayMs, 5_000), this.options.consumerProbeMs);
    this.drainDelaySec = Math.max(1, Math.ceil(drainDelayMs / 1000));
  }

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(queueClosed());
    this.connecting ??= this.open().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const name = `${this.bullPrefix}:${process.pid}`;
    const user = 'The redis queue adapter';
    const client = createRedisClient(this.url, { user, maxRetriesPerRequest: 3, connectionName: `${name}:publisher` });
    // BullMQ's workers (and, through Sentinel, its duplicated blocking connections) must wait out a failover.
    const workerClient = createRedisClient(this.url, { user, maxRetriesPerRequest: null, connectionName: `${name}:worker` });
    // One warning when the queue's Redis goes away and one line when it is back, not one per retry.
    const logger = this.options.logger;
    const outageLogger = logger ? { warn: (m: string) => logger.warn(m), info: (m: string) => (logger.info ? logger.info(m) : logger.warn(m)) } : undefined;
    this.outage = watchConnection(client, redisDependency(this.url), 'the message queue', outageLogger);
    watchConnection(workerClient, redisDependency(this.url), 'the message queue', outageLogger);
    try {
      await Promise.all([client.connect(), workerClient.connect()]);
    } catch (err) {
      client.disconnect();
      workerClient.disconnect();
      throw queueUnavailable(`Cannot connect to Redis for the message queue`, err);
    }
    this.client = client;
    this.workerClient = workerClient;
  }

  async close(options?: CloseOptions): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const close = checkClose(options);
    await Promise.all([...this.subscriptions].map((s) => s.stop(close.graceful, close.timeoutMs)));
    await Promise.allSettled([...this.publishing]);
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    await this.connecting?.catch(() => undefined);
    for (const c of [this.client, this.workerClient]) {
      if (!c) continue;
      if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
      else c.disconnect();
    }
  }

  async publish(channel: string, message: unknown, options?: PublishOptions): Promise<string> {
    const q = await this.queue(channel);
    const o = checkPublishOptions(options, this.options);
    bodyJson(message);
    const id = o.jobId ?? randomUUID();
    const retentionSec = Math.ceil(this.options.completedRetentionMs / 1000);
    const adding = q.add(
      channel,
      { v: 1, id, publishedAt: Date.now(), body: message },
      {
        jobId: bullJobId(id),
        attempts: o.attempts,
        backoff: { type: o.backoff.type, delay: o.backoff.delayMs },
        ...(o.delayMs > 0 ? { delay: o.delayMs } : {}),
        removeOnComplete: retentionSec > 0 && this.options.completedRetentionCount > 0 ? { age: retentionSec, count: this.options.completedRetentionCount } : true,
        removeOnFail: false,
      },
    );
    this.publishing.add(adding);
    try {
      await adding;
    } catch (err) {
      throw queueUnavailable('Redis did not store the message', err);
    } finally {
      this.publishing.delete(adding);
    }
    return id;
  }

  async subscribe<T = unknown>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Unsubscribe> {
    checkChannel(channel);
    const concurrency = checkConcurrency(options);
    await this.connect();
    if (this.closed) throw queueClosed();
    const sub = new RedisSubscription(channel, handler as MessageHandler, this.options, () => this.subscriptions.delete(sub), () => (this.workerClient as Redis).ping());
    const worker = new Worker(bullQueueName(channel), (job, token, signal) => sub.process(job, token, signal), {
      connection: this.workerClient as Redis,
      prefix: this.bullPrefix,
      concurrency,
      lockDuration: this.lockDurationMs,
      stalledInterval: this.stalledIntervalMs,
      maxStalledCount: this.options.redeliveryLimit,
      drainDelay: this.drainDelaySec,
      autorun: true,
    });
    worker.on('error', (err) => (this.outage ? this.outage.failed(err) : this.options.logger?.warn(`queue worker error on ${channel}:`, errorText(err))));
    sub.attach(worker);
    this.subscriptions.add(sub);
    try {
      await worker.waitUntilReady();
    } catch (err) {
      await sub.stop(false, undefined);
      throw queueUnavailable('Cannot start the Redis queue worker', err);
    }
    const stop = (o?: CloseOptions) => {
      const close = checkClose(o);
      return sub.stop(close.graceful, close.timeoutMs);
    };
    return Object.assign(stop, { status: () => sub.status() });
  }

  /** Test hook: closes the channel's BullMQ workers behind their subscriptions' back (a silent stop). */
  async severConsumers(channel: string): Promise<void> {
    await Promise.all([...this.subscriptions].filter((s) => s.channelName === channel).map((s) => s.severForTest()));
  }

  async deadLetters(channel: string, options?: DeadLettersOptions): Promise<DeadLetter[]> {
    const limit = checkLimit(options?.limit);
    const q = await this.queue(channel);
    const jobs = await this.wrap(q.getJobs(['failed'], 0, limit - 1, true));
    return jobs.filter((job): job is Job => Boolean(job)).map((job) => deadLetterOf(job));
  }

  async discardDeadLetters(channel: string, ids: readonly string[]): Promise<number> {
    const q = await this.queue(channel);
    let removed = 0;
    for (const id of new Set(ids)) {
      const job = await this.wrap(q.getJob(bullJobId(id)));
      if (!job || !(await this.wrap(job.isFailed()))) continue;
      try {
        await job.remove();
        removed += 1;
      } catch {
        // requeued or removed meanwhile by another node: nothing to discard
      }
    }
    return removed;
  }

  async requeueDeadLetters(channel: string, ids?: readonly string[]): Promise<number> {
    const q = await this.queue(channel);
    const jobs: Job[] = [];
    if (ids) {
      for (const id of ids) {
        const job = await this.wrap(q.getJob(bullJobId(id)));
        if (job) jobs.push(job);
      }
    } else {
      const page = 1000;
      for (let start = 0; ; start += page) {
        const batch = (await this.wrap(q.getJobs(['failed'], start, start + page - 1, true))).filter((job): job is Job => Boolean(job));
        jobs.push(...batch);
        if (batch.length < page) break;
      }
    }
    let moved = 0;
    for (const job of jobs) {
      try {
        parseEnvelope(job.data);
      } catch {
        continue; // a payload that never parsed would come straight back
      }
      try {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        moved += 1;
      } catch {
        // not failed any more (another node requeued it, or it was removed): nothing to move
      }
    }
    return moved;
  }

  /** The oldest job of the wait list (BullMQ lists it last; `asc` reads from that end). */
  async oldestWaitingMs(channel: string): Promise<number | null> {
    const q = await this.queue(channel);
    const [oldest] = await this.wrap(q.getJobs(['wait'], 0, 0, true));
    // Counted from the publish (a retried message's age includes its earlier attempts).
    return oldest ? Math.max(0, Date.now() - oldest.timestamp) : 0;
  }

  async stats(channel: string): Promise<QueueStats> {
    const q = await this.queue(channel);
    const c = await this.wrap(q.getJobCounts(...COUNTED_STATES));
    const n = (k: (typeof COUNTED_STATES)[number]) => c[k] ?? 0;
    return {
      waiting: n('wait') + n('prioritized') + n('waiting-children'),
      delayed: n('delayed'),
      inFlight: n('active'),
      deadLettered: n('failed'),
    };
  }

  async deleteChannel(channel: string): Promise<void> {
    const q = await this.queue(channel);
    await this.wrap(q.obliterate({ force: true }));
    this.queues.delete(channel);
    await q.close();
  }

  /** Test hook: stores a job whose data is the given payload as-is, as a foreign producer might. */
  async injectRaw(channel: string, payload: string): Promise<void> {
    const q = await this.queue(channel);
    await q.add(channel, rawPayload(payload), { attempts: 1, removeOnFail: false });
  }

  private async queue(channel: string): Promise<Queue> {
    checkChannel(channel);
    if (this.closed) throw queueClosed();
    await this.connect();
    if (this.closed) throw queueClosed();
    let q = this.queues.get(channel);
    if (!q) {
      q = new Queue(bullQueueName(channel), { connection: this.client as Redis, prefix: this.bullPrefix });
      q.on('error', (err) => (this.outage ? this.outage.failed(err) : this.options.logger?.warn(`queue error on ${channel}:`, errorText(err))));
      this.queues.set(channel, q);
    }
    return q;
  }

  private async wrap<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      throw queueUnavailable('Redis queue operation failed', err);
    }
  }
}

function deadLetterOf(job: Job): DeadLetter {
  const base = { error: job.failedReason ?? '', attempts: job.attemptsMade, failedAt: job.finishedOn ?? 0 };
  try {
    const env = parseEnvelope(job.data);
    return { id: env.id, message: env.body, ...base };
  } catch {
    const raw = job.id ?? '';
    return { id: raw.startsWith('%') ? decodeURIComponent(raw.slice(1)) : raw, message: job.data, ...base };
  }
}
