import { randomUUID } from 'node:crypto';
import type {
  CloseOptions,
  DeadLetter,
  DeadLettersOptions,
  MessageHandler,
  MessageQueue,
  PublishOptions,
  QueueStats,
  RabbitQueueOptions,
  SubscribeOptions,
  Unsubscribe,
} from './types.js';
import { bodyJson } from './envelope.js';
import { RabbitConnection } from './rabbitmq-connection.js';
import { RabbitPublisher } from './rabbitmq-publisher.js';
import { RabbitSubscription } from './rabbitmq-subscription.js';
import { deadLetterOf, parseRabbitEnvelope, type RabbitEnvelope } from './rabbitmq-envelope.js';
import { DELAY_STEPS_MS, STEP_REDECLARE_MS, channelQueues, type ChannelQueues } from './rabbitmq-topology.js';
import { queueClosed, queueConfig, queueUnavailable } from './queue-errors.js';
import { checkChannel, checkClose, checkConcurrency, checkLimit, checkPublishOptions, msOption, resolveCommon, type ResolvedCommon } from './validate.js';

/**
 * RabbitMQ adapter (amqplib, RabbitMQ >= 3.10): durable quorum queues, persistent messages, publisher
 * confirms, manual acks, prefetch = concurrency, delays and retries through the TTL ladder of
 * rabbitmq-topology.ts, dead letters in `<queue>.dlq`. A consumer that dies has its unacked messages
 * requeued by the broker at once (connection closed) or after about two heartbeats (network gone).
 *
 * Connection loss: the adapter reconnects with backoff; running handlers get an aborted signal (their
 * messages are back in the queue), consumers re-subscribe on the new connection, publishes wait up to
 * `publishTimeoutMs` for it and then fail with CB_ERR_QUEUE_UNAVAILABLE. close() stops the reconnect
 * loop and is clean whether or not the broker is reachable.
 *
 * Channel deleted by another node: consumers here are cancelled by the broker and re-subscribe on a
 * re-created queue after `reconnectDelayMs`; a publish that comes back unroutable declares the queues
 * again and resends. Before this process re-creates a main queue it found deleted, it closes its own
 * consumers that predate the deletion and waits out `reconnectDelayMs` (RabbitPublisher explains the
 * RabbitMQ 3.10 behaviour this guards against).
 */
export class RabbitQueue implements MessageQueue {
  readonly type = 'rabbitmq' as const;
  private readonly options: ResolvedCommon;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly conn: RabbitConnection;
  private readonly publisher: RabbitPublisher;
  private readonly subscriptions = new Set<RabbitSubscription>();
  private readonly publishing = new Set<Promise<unknown>>();
  /** Per channel: jobId → until when a publish of it is a no-op (this process only). */
  private readonly jobIds = new Map<string, Map<string, number>>();
  /** Step queue → when a check last found it. */
  private readonly stepsSeen = new Map<string, number>();
  /** Main queue → when stats last probed every step. */
  private readonly probedAt = new Map<string, number>();
  private readonly stepProbeMs: number;
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(options: RabbitQueueOptions) {
    this.options = resolveCommon(options);
    if (typeof options.url !== 'string' || !/^amqps?:\/\//.test(options.url)) {
      throw queueConfig('The rabbitmq queue adapter needs an amqp:// or amqps:// URL (QUEUE_ADAPTER_RABBITMQ_URL)');
    }
    this.timeoutMs = msOption('publishTimeoutMs', options.publishTimeoutMs, 10_000);
    this.retryDelayMs = msOption('reconnectDelayMs', options.reconnectDelayMs, 500);
    this.stepProbeMs = msOption('stepProbeMs', options.stepProbeMs, 60_000, 0);
    const heartbeatSec = options.heartbeatSec ?? 10;
    if (!Number.isInteger(heartbeatSec) || heartbeatSec < 0 || heartbeatSec > 600) throw queueConfig('Queue option heartbeatSec must be an integer from 0 to 600');
    this.conn = new RabbitConnection({
      url: options.url,
      heartbeatSec,
      reconnectDelayMs: this.retryDelayMs,
      reconnectMaxDelayMs: msOption('reconnectMaxDelayMs', options.reconnectMaxDelayMs, 15_000),
      connectionName: options.connectionName ?? `clusterbase-queue-${process.pid}`,
      logger: this.options.logger,
    });
    // A deleted main queue is re-created no sooner than a consumer would come back after its basic.cancel.
    this.publisher = new RabbitPublisher(this.conn, this.options.redeliveryLimit, this.timeoutMs, this.retryDelayMs, (main, since) =>
      Promise.all([...this.subscriptions].filter((s) => s.queueName === main).map((s) => s.queueVanished(since))).then(() => undefined),
    );
    this.conn.onLost(() => {
      for (const s of this.subscriptions) s.connectionLost();
    });
    this.conn.onRestored(() => {
      for (const s of this.subscriptions) s.resume();
    });
  }

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(queueClosed());
    this.connecting ??= this.conn.open().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  async close(options?: CloseOptions): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const close = checkClose(options);
    await Promise.all([...this.subscriptions].map((s) => s.stop(close.graceful, close.timeoutMs)));
    if (close.graceful) await Promise.allSettled([...this.publishing]);
    await this.connecting?.catch(() => undefined);
    await this.conn.close();
  }

  async publish(channel: string, message: unknown, options?: PublishOptions): Promise<string> {
    const queues = this.queues(channel);
    const o = checkPublishOptions(options, this.options);
    bodyJson(message); // refuses what JSON cannot carry; the envelope encoding below gives the same text
    await this.ready();
    const id = o.jobId ?? randomUUID();
    const known = o.jobId === undefined ? undefined : this.knownJobIds(channel);
    if (known?.has(id)) return id;
    known?.set(id, Number.POSITIVE_INFINITY);
    const now = Date.now();
    const env: RabbitEnvelope = {
      v: 1,
      id,
      publishedAt: now,
      attempt: 0,
      attempts: o.attempts,
      backoff: o.backoff,
      ...(o.delayMs > 0 ? { notBefore: now + o.delayMs } : {}),
      body: message,
    };
    const sending = this.publisher.send(queues, env);
    this.publishing.add(sending);
    try {
      await sending;
      known?.set(id, Date.now() + this.options.completedRetentionMs);
    } catch (err) {
      known?.delete(id);
      throw err;
    } finally {
      this.publishing.delete(sending);
    }
    return id;
  }

  async subscribe<T = unknown>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Unsubscribe> {
    const queues = this.queues(channel);
    const concurrency = checkConcurrency(options);
    await this.ready();
    await this.publisher.declareChannel(queues);
    const settings = { channel, concurrency, timeoutMs: this.timeoutMs, retryDelayMs: this.retryDelayMs, probeMs: this.options.consumerProbeMs, logger: this.options.logger };
    const sub = new RabbitSubscription(this.conn, this.publisher, queues, handler as MessageHandler, settings, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    try {
      await sub.start();
    } catch (err) {
      await sub.stop(false, undefined);
      throw err;
    }
    const stop = (o?: CloseOptions) => {
      const close = checkClose(o);
      return sub.stop(close.graceful, close.timeoutMs);
    };
    return Object.assign(stop, { status: () => sub.status() });
  }

  /** Test hook: cancels the channel's AMQP consumers behind their subscriptions' back (a silent stop). */
  async severConsumers(channel: string): Promise<void> {
    const main = this.queues(channel).main;
    await Promise.all([...this.subscriptions].filter((s) => s.queueName === main).map((s) => s.severForTest()));
  }

  /** Takes up to `limit` messages with basic.get on a throwaway channel; closing it puts them back. */
  async deadLetters(channel: string, options?: DeadLettersOptions): Promise<DeadLetter[]> {
    const queues = this.queues(channel);
    const limit = checkLimit(options?.limit);
    await this.ready();
    await this.publisher.declareChannel(queues);
    return this.conn.withChannel(this.timeoutMs, async (ch) => {
      const out: DeadLetter[] = [];
      while (out.length < limit) {
        const msg = await ch.get(queues.dlq, { noAck: false });
        if (msg === false) break;
        out.push(deadLetterOf(msg));
      }
      return out;
    });
  }

  /**
   * Walks the .dlq with basic.get: a chosen message is republished (confirmed) with fresh attempts,
   * then acked; the others stay unacked until the channel closes, which returns them. Payloads that
   * never were envelopes stay dead.
   */
  async requeueDeadLetters(channel: string, ids?: readonly string[]): Promise<number> {
    const queues = this.queues(channel);
    await this.ready();
    await this.publisher.declareChannel(queues);
    const wanted = ids ? new Set(ids) : undefined;
    return this.conn.withChannel(this.timeoutMs, async (ch) => {
      let moved = 0;
      for (;;) {
        if (wanted && moved === wanted.size) break;
        const msg = await ch.get(queues.dlq, { noAck: false });
        if (msg === false) break;
        let env: RabbitEnvelope;
        try {
          env = parseRabbitEnvelope(msg.content);
        } catch {
          continue;
        }
        if (wanted && !wanted.has(env.id)) continue;
        await this.publisher.requeue(queues, env);
        ch.ack(msg);
        moved += 1;
      }
      return moved;
    });
  }

  /** Walks the .dlq with basic.get and acks (drops) the chosen messages; the others return when the channel closes. */
  async discardDeadLetters(channel: string, ids: readonly string[]): Promise<number> {
    const queues = this.queues(channel);
    await this.ready();
    await this.publisher.declareChannel(queues);
    const wanted = new Set(ids);
    return this.conn.withChannel(this.timeoutMs, async (ch) => {
      let removed = 0;
      while (removed < wanted.size) {
        const msg = await ch.get(queues.dlq, { noAck: false });
        if (msg === false) break;
        if (!wanted.has(deadLetterOf(msg).id)) continue;
        ch.ack(msg);
        removed += 1;
      }
      return removed;
    });
  }

  /** RabbitMQ tells no message ages without consuming (nor through queue.declare-ok). */
  async oldestWaitingMs(): Promise<number | null> {
    return null;
  }

  /**
   * Main and .dlq depth from queue.declare-ok on a long-lived channel. The delay ladder: steps known to
   * exist (declared or seen here lately) are checked the same way; the others are probed, each on a
   * throwaway channel, at most once per `stepProbeMs`, because a missing queue answers with a channel
   * error that costs tens of milliseconds and a line in the broker's log. So `delayed` can miss, for up
   * to `stepProbeMs`, a step that only another node uses.
   */
  async stats(channel: string): Promise<QueueStats> {
    const queues = this.queues(channel);
    await this.ready();
    await this.publisher.declareChannel(queues);
    const count = async (name: string): Promise<number> => {
      const ch = await this.conn.probeChannel(this.timeoutMs);
      return (await ch.checkQueue(name)).messageCount;
    };
    const now = Date.now();
    const probeAll = this.stepProbeMs > 0 && now - (this.probedAt.get(queues.main) ?? 0) >= this.stepProbeMs;
    if (probeAll) this.probedAt.set(queues.main, now);
    const step = async (name: string): Promise<number> => {
      const known = this.publisher.declaredWithin(name, STEP_REDECLARE_MS) || now - (this.stepsSeen.get(name) ?? 0) < this.stepProbeMs;
      if (!known && !probeAll) return 0;
      try {
        const n = known ? await count(name) : await this.conn.withChannel(this.timeoutMs, async (ch) => (await ch.checkQueue(name)).messageCount);
        this.stepsSeen.set(name, Date.now());
        return n;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 404) throw queueUnavailable(`Cannot read the depth of ${name}`, err);
        this.stepsSeen.delete(name);
        return 0;
      }
    };
    const [waiting, deadLettered, steps] = await Promise.all([
      count(queues.main),
      count(queues.dlq),
      Promise.all(DELAY_STEPS_MS.map((ms) => step(queues.step(ms)))),
    ]).catch((err: unknown) => {
      throw (err as { type?: unknown }).type ? err : queueUnavailable('Cannot read RabbitMQ queue depths', err);
    });
    let inFlight = 0;
    for (const s of this.subscriptions) if (s.queueName === queues.main) inFlight += s.running;
    return { waiting, delayed: steps.reduce((a, b) => a + b, 0), inFlight, deadLettered };
  }

  async deleteChannel(channel: string): Promise<void> {
    const queues = this.queues(channel);
    await this.ready();
    const names = [queues.main, queues.dlq, ...DELAY_STEPS_MS.map((ms) => queues.step(ms))];
    await Promise.all(names.map((name) => this.conn.withChannel(this.timeoutMs, (ch) => ch.deleteQueue(name))));
    this.publisher.forget(names);
    await this.publisher.mainVanished(queues);
    for (const n of names) this.stepsSeen.delete(n);
    this.probedAt.delete(queues.main);
    this.jobIds.delete(channel);
  }

  /** Test hook: sends bytes to the main queue as a foreign producer might. */
  async injectRaw(channel: string, payload: string): Promise<void> {
    const queues = this.queues(channel);
    await this.ready();
    await this.publisher.declareChannel(queues);
    const ch = await this.conn.confirmChannel(this.timeoutMs);
    ch.sendToQueue(queues.main, Buffer.from(payload), { persistent: true });
    await ch.waitForConfirms();
  }

  private queues(channel: string): ChannelQueues {
    return channelQueues(this.options.prefix, checkChannel(channel));
  }

  private async ready(): Promise<void> {
    if (this.closed) throw queueClosed();
    await this.connect();
    if (this.closed) throw queueClosed();
  }

  private knownJobIds(channel: string): Map<string, number> {
    let known = this.jobIds.get(channel);
    if (!known) {
      known = new Map();
      this.jobIds.set(channel, known);
    }
    const now = Date.now();
    for (const [id, until] of known) {
      if (until > now && known.size <= this.options.completedRetentionCount) break;
      known.delete(id);
    }
    return known;
  }
}
