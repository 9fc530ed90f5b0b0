import { randomUUID } from 'node:crypto';
import type {
  CloseOptions,
  DeadLetter,
  DeadLettersOptions,
  QueueCommonOptions,
  MessageHandler,
  MessageQueue,
  PublishOptions,
  QueueStats,
  SubscribeOptions,
  Unsubscribe,
  ConsumerStatus,
} from './types.js';
import { MemoryQueueStore, type MemoryChannel, type MemoryConsumer, type StoredMessage } from './memory-store.js';
import { bodyJson, decodeEnvelope, envelopeJson } from './envelope.js';
import { InFlight, type Delivery } from './in-flight.js';
import { errorText, queueClosed } from './queue-errors.js';
import { checkChannel, checkClose, checkConcurrency, checkLimit, checkPublishOptions, resolveCommon, type ResolvedCommon } from './validate.js';

export interface MemoryQueueOptions extends QueueCommonOptions {
  readonly type: 'memory' | 'local';
  /**
   * Shared in-process broker state. Instances given the same store see the same channels (like two
   * nodes on one broker); by default each instance has its own.
   */
  readonly store?: MemoryQueueStore;
}

/**
 * In-process adapter: the single-process default and the fast test double. Same semantics as the
 * network adapters (JSON on the "wire", retries, dead letters, redelivery of abandoned messages),
 * with no durability: messages live as long as the process.
 */
export class MemoryQueue implements MessageQueue {
  readonly type = 'memory' as const;
  private readonly options: ResolvedCommon;
  private readonly store: MemoryQueueStore;
  private readonly ownsStore: boolean;
  private readonly subscriptions = new Set<MemorySubscription>();
  private closed = false;

  constructor(options: MemoryQueueOptions = { type: 'memory' }) {
    this.options = resolveCommon(options);
    this.ownsStore = options.store === undefined;
    this.store = options.store ?? new MemoryQueueStore();
  }

  async connect(): Promise<void> {
    if (this.closed) throw queueClosed();
  }

  async close(options?: CloseOptions): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const close = checkClose(options);
    await Promise.all([...this.subscriptions].map((s) => s.stop(close.graceful, close.timeoutMs)));
    if (this.ownsStore) this.store.clearTimers();
  }

  async publish(channel: string, message: unknown, options?: PublishOptions): Promise<string> {
    this.assertOpen();
    const ch = this.channel(channel);
    const o = checkPublishOptions(options, this.options);
    const body = bodyJson(message);
    const id = o.jobId ?? randomUUID();
    if (o.jobId !== undefined && ch.knows(id)) return id;
    ch.enqueue(
      {
        id,
        wire: envelopeJson(id, body, Date.now()),
        attempts: o.attempts,
        backoff: o.backoff,
        redeliveryLimit: this.options.redeliveryLimit,
        failures: 0,
        redeliveries: 0,
      },
      o.delayMs,
    );
    return id;
  }

  async subscribe<T = unknown>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Unsubscribe> {
    this.assertOpen();
    const ch = this.channel(channel);
    const sub = new MemorySubscription(channel, ch, handler as MessageHandler, checkConcurrency(options), this.options, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    ch.addConsumer(sub);
    const stop = (o?: CloseOptions) => {
      const close = checkClose(o);
      return sub.stop(close.graceful, close.timeoutMs);
    };
    return Object.assign(stop, { status: () => sub.status() });
  }

  async deadLetters(channel: string, options?: DeadLettersOptions): Promise<DeadLetter[]> {
    this.assertOpen();
    return this.channel(channel).deadLetters(checkLimit(options?.limit));
  }

  async requeueDeadLetters(channel: string, ids?: readonly string[]): Promise<number> {
    this.assertOpen();
    return this.channel(channel).requeue(ids);
  }

  async discardDeadLetters(channel: string, ids: readonly string[]): Promise<number> {
    this.assertOpen();
    return this.channel(channel).discard(ids);
  }

  async oldestWaitingMs(channel: string): Promise<number | null> {
    this.assertOpen();
    return this.channel(channel).oldestWaitingMs();
  }

  async stats(channel: string): Promise<QueueStats> {
    this.assertOpen();
    return this.channel(channel).stats();
  }

  async deleteChannel(channel: string): Promise<void> {
    this.assertOpen();
    this.channel(channel).purge();
  }

  /** Test hook: puts a payload on the channel as if another producer had sent it. */
  injectRaw(channel: string, payload: string): void {
    const o = this.options;
    this.channel(channel).enqueue(
      { id: `raw-${randomUUID()}`, wire: payload, attempts: o.defaultAttempts, backoff: o.defaultBackoff, redeliveryLimit: o.redeliveryLimit, failures: 0, redeliveries: 0 },
      0,
    );
  }

  /** Test hook: takes the channel's consumers off it without telling their subscriptions (a silent stop). */
  severConsumers(channel: string): void {
    for (const sub of this.subscriptions) if (sub.name === channel) this.channel(channel).removeConsumer(sub);
  }

  private channel(channel: string): MemoryChannel {
    return this.store.channel(`${this.options.prefix}.${checkChannel(channel)}`);
  }

  private assertOpen(): void {
    if (this.closed) throw queueClosed();
  }
}

class MemorySubscription implements MemoryConsumer {
  running = 0;
  private readonly inFlight = new InFlight();
  private readonly messages = new Map<Delivery, StoredMessage>();
  private stopping: Promise<void> | undefined;
  private lastRoundAt: number | null = null;

  constructor(
    readonly name: string,
    private readonly channel: MemoryChannel,
    private readonly handler: MessageHandler,
    readonly concurrency: number,
    private readonly options: ResolvedCommon,
    private readonly onStopped: () => void,
  ) {}

  deliver(message: StoredMessage): void {
    const delivery = this.inFlight.start();
    this.messages.set(delivery, message);
    // Always asynchronous, as on a network broker: the channel is never re-entered from its own pump.
    queueMicrotask(() => void this.run(delivery, message));
  }

  /** In-process delivery has no poll to stall: a consumer on its channel is live by construction. */
  status(): ConsumerStatus {
    const attached = !this.stopping && this.channel.hasConsumer(this);
    if (attached) this.lastRoundAt = Date.now();
    return { channel: this.name, attached, lastRoundAt: this.lastRoundAt, ...(attached ? {} : { reason: this.stopping ? 'unsubscribed' : 'not on its channel' }) };
  }

  stop(graceful: boolean, timeoutMs: number | undefined): Promise<void> {
    this.stopping ??= (async () => {
      this.channel.removeConsumer(this);
      const drained = graceful ? await this.inFlight.drained(timeoutMs) : false;
      if (!drained) {
        for (const delivery of this.inFlight.abandonAll('subscription closed')) {
          const message = this.messages.get(delivery);
          this.messages.delete(delivery);
          if (message) this.channel.abandon(message);
        }
      }
      this.onStopped();
    })();
    return this.stopping;
  }

  private async run(delivery: Delivery, message: StoredMessage): Promise<void> {
    let body: unknown;
    try {
      body = decodeEnvelope(message.wire).body;
    } catch (err) {
      this.settle(delivery, () => this.channel.reject(message, errorText(err)));
      return;
    }
    try {
      await this.handler(body, { attempt: message.failures + 1, id: message.id, signal: delivery.signal });
      this.settle(delivery, () => this.channel.ack(message, this.options.completedRetentionMs, this.options.completedRetentionCount));
    } catch (err) {
      this.settle(delivery, () => this.channel.fail(message, errorText(err)));
    }
  }

  /** Applies an outcome unless the delivery was abandoned meanwhile (then the message is already back). */
  private settle(delivery: Delivery, outcome: () => void): void {
    if (delivery.abandoned) return;
    this.messages.delete(delivery);
    outcome();
    delivery.finish();
  }
}
