import type { Channel, ConsumeMessage } from 'amqplib';
import type { ConsumerStatus, MessageHandler, QueueLogger } from './types.js';
import type { RabbitConnection } from './rabbitmq-connection.js';
import type { RabbitPublisher } from './rabbitmq-publisher.js';
import type { ChannelQueues } from './rabbitmq-topology.js';
import { parseRabbitEnvelope, type RabbitEnvelope } from './rabbitmq-envelope.js';
import { InFlight, type Delivery } from './in-flight.js';
import { errorText } from './queue-errors.js';

export interface RabbitSubscriptionSettings {
  /** The channel name as subscribed (for ConsumerStatus). */
  readonly channel: string;
  readonly concurrency: number;
  /** How often the consumer channel is probed (checkQueue), proving it still answers. */
  readonly probeMs: number;
  readonly timeoutMs: number;
  readonly retryDelayMs: number;
  readonly logger: QueueLogger | undefined;
}

/**
 * One consumer on its own channel: prefetch = concurrency, so every unacked delivery is a running
 * handler and nothing sits in a client-side buffer. Ack after the handler resolves; on failure the
 * next attempt (or the dead letter) is published and confirmed first, then the original acked, so a
 * crash in between duplicates rather than loses. When the channel or connection goes, running
 * deliveries are abandoned (RabbitMQ requeues them) and the consumer comes back on a new channel.
 */
export class RabbitSubscription {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  /** When the current channel's basic.consume was sent. */
  private consumeSentAt: number | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private restarts = 0;
  private readonly inFlight = new InFlight();
  private lastRoundAt: number | null = null;
  private probe: NodeJS.Timeout | undefined;
  /** Between connectionLost() and resume(): the connection is being re-established. */
  private awaitingConnection = false;

  constructor(
    private readonly conn: RabbitConnection,
    private readonly publisher: RabbitPublisher,
    private readonly queues: ChannelQueues,
    private readonly handler: MessageHandler,
    private readonly settings: RabbitSubscriptionSettings,
    private readonly onStopped: () => void,
  ) {}

  get running(): number {
    return this.inFlight.size;
  }

  get queueName(): string {
    return this.queues.main;
  }

  /**
   * Attached: our consumer tag is registered on an open channel (amqplib drops it from the channel's
   * consumer table on a cancel). Rounds: settled deliveries, and a queue check on the consumer's own
   * channel every `probeMs` (push delivery has no poll; the check proves the channel still answers).
   */
  status(): ConsumerStatus {
    const ch = this.channel as (Channel & { consumers?: Map<string, unknown> }) | undefined;
    const tag = this.consumerTag;
    const registered = !!ch && !!tag && (ch.consumers === undefined || ch.consumers.has(tag));
    const attached = !this.stopping && registered;
    // Coming back by itself: the connection is down (resume() follows its return), or a start or a
    // scheduled restart is under way. A missing channel on an open connection with neither is a stop.
    const recovering = !attached && !this.stopping && !ch && (this.awaitingConnection || !this.conn.isOpen || !!this.starting || !!this.retryTimer);
    const reason = this.stopping
      ? 'unsubscribed'
      : !ch
        ? recovering
          ? 'no consumer channel (reconnecting)'
          : 'no consumer channel and no reconnect under way'
        : !tag
          ? 'consumer not registered yet'
          : 'the broker no longer knows the consumer';
    return { channel: this.settings.channel, attached, lastRoundAt: this.lastRoundAt, ...(attached ? {} : { reason, ...(recovering ? { recovering } : {}) }) };
  }

  /** Test hook: cancels the consumer without this subscription knowing. */
  async severForTest(): Promise<void> {
    if (this.channel && this.consumerTag) await this.channel.cancel(this.consumerTag);
  }

  private probeChannel(): void {
    const ch = this.channel;
    if (!ch || this.stopping || !this.status().attached) return;
    ch.checkQueue(this.queues.main).then(
      () => (this.lastRoundAt = Date.now()),
      () => undefined, // a failing check closes the channel; channelClosed() handles it
    );
  }

  /** Starts consuming; resolves once the broker has registered the consumer. */
  start(): Promise<void> {
    if (this.stopping || this.channel) return Promise.resolve();
    this.starting ??= this.open().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** The connection dropped: deliveries are void (RabbitMQ requeued them). */
  connectionLost(): void {
    this.awaitingConnection = true;
    this.channel = undefined;
    this.consumerTag = undefined;
    this.consumeSentAt = undefined;
    this.inFlight.abandonAll('connection to RabbitMQ lost');
  }

  /** A new connection is up: consume again. */
  resume(): void {
    this.awaitingConnection = false;
    if (this.stopping) return;
    this.start().catch((err: unknown) => {
      this.settings.logger?.warn(`queue consumer on ${this.queues.main} could not restart:`, errorText(err));
      this.scheduleRestart();
    });
  }

  /**
   * This process found our queue deleted (at `since`) and is about to declare it again. If this consumer
   * was subscribed before that, RabbitMQ may not have cancelled it yet, and would then re-attach it to
   * the new queue in a state that swallows deliveries (see RabbitPublisher). Closing the channel removes
   * the consumer broker side whatever state it is in; channelClosed() then brings it back as after a
   * basic.cancel. A consumer subscribed after `since` is on the new queue already and is left alone.
   */
  async queueVanished(since: number): Promise<void> {
    if (this.stopping) return;
    await this.starting?.catch(() => undefined);
    const ch = this.channel;
    if (!ch || this.consumeSentAt === undefined || this.consumeSentAt > since) return;
    await ch.close().catch(() => undefined);
  }

  stop(graceful: boolean, timeoutMs: number | undefined): Promise<void> {
    this.stopping ??= (async () => {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      clearInterval(this.probe);
      await this.starting?.catch(() => undefined);
      const ch = this.channel;
      if (ch && this.consumerTag) await ch.cancel(this.consumerTag).catch(() => undefined);
      const drained = graceful ? await this.inFlight.drained(timeoutMs) : false;
      if (!drained) this.inFlight.abandonAll('subscription closed');
      this.channel = undefined;
      // Closing the channel hands every unacked message back to the queue.
      if (ch) await ch.close().catch(() => undefined);
      this.onStopped();
    })();
    return this.stopping;
  }

  private async open(): Promise<void> {
    // Declared again on every (re)start: a consumer outlives a deleted queue by recreating it.
    await this.publisher.declareChannel(this.queues, this.restarts++ > 0);
    const model = await this.conn.model(this.settings.timeoutMs);
    const ch = await model.createChannel();
    ch.on('error', (err: unknown) => this.settings.logger?.warn(`queue consumer channel on ${this.queues.main}:`, errorText(err)));
    // Set before consuming: deliveries can arrive before consume() resolves, and settle() checks it.
    this.channel = ch;
    ch.on('close', () => this.channelClosed(ch));
    try {
      await ch.prefetch(this.settings.concurrency);
      this.consumeSentAt = Date.now();
      const { consumerTag } = await ch.consume(this.queues.main, (msg) => void this.onMessage(ch, msg), { noAck: false });
      this.consumerTag = consumerTag;
      this.lastRoundAt = Date.now();
      if (!this.probe) {
        this.probe = setInterval(() => this.probeChannel(), this.settings.probeMs);
        this.probe.unref();
      }
    } catch (err) {
      if (this.channel === ch) this.channel = undefined;
      await ch.close().catch(() => undefined);
      throw err;
    }
  }

  private channelClosed(ch: Channel): void {
    if (this.channel !== ch) return;
    this.channel = undefined;
    this.consumerTag = undefined;
    this.consumeSentAt = undefined;
    this.inFlight.abandonAll('consumer channel closed');
    // A channel-level failure on a live connection (queue deleted, broker-side cancel): try again later.
    // A dropped connection is handled by resume() once it is back.
    if (!this.stopping && this.conn.isOpen) this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopping || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.conn.isOpen) this.resume();
    }, this.settings.retryDelayMs);
  }

  private async onMessage(ch: Channel, msg: ConsumeMessage | null): Promise<void> {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted): drop the channel, channelClosed() retries.
      await ch.close().catch(() => undefined);
      return;
    }
    const delivery = this.inFlight.start();
    let env: RabbitEnvelope;
    try {
      env = parseRabbitEnvelope(msg.content);
    } catch {
      // Not ours: reject without requeue, which the main queue dead-letters to the .dlq.
      this.settle(delivery, ch, () => ch.nack(msg, false, false));
      return;
    }
    const due = env.notBefore === undefined || env.notBefore <= Date.now();
    let failure: string | undefined;
    if (due) {
      try {
        await this.handler(env.body, { attempt: env.attempt + 1, id: env.id, signal: delivery.signal });
      } catch (err) {
        failure = errorText(err);
      }
    }
    if (delivery.abandoned) return;
    try {
      if (!due) await this.publisher.send(this.queues, env);
      else if (failure !== undefined) await this.publisher.failed(this.queues, env, env.attempt + 1, failure);
      this.settle(delivery, ch, () => ch.ack(msg));
    } catch (err) {
      // Could not publish the next step: hand the message back as it was (counts towards x-delivery-limit).
      this.settings.logger?.warn(`queue could not forward message ${env.id} on ${this.queues.main}:`, errorText(err));
      this.settle(delivery, ch, () => ch.nack(msg, false, true));
    }
  }

  private settle(delivery: Delivery, ch: Channel, op: () => void): void {
    if (delivery.abandoned) return;
    this.lastRoundAt = Date.now();
    if (this.channel === ch) {
      try {
        op();
      } catch (err) {
        this.settings.logger?.warn(`queue ack failed on ${this.queues.main}:`, errorText(err));
      }
    }
    delivery.finish();
  }
}
