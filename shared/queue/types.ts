import type { Logger } from '../errors/index.js';
/**
 * The message queue port. Semantics every adapter holds (the contract suite in test/contract checks them):
 *
 * - At least once. A message is acknowledged only after its handler resolves. A handler that rejects
 *   is retried with backoff until `attempts` deliveries have failed, then the message is dead-lettered
 *   (listable and requeueable). A delivery abandoned without an outcome (consumer killed, forced close,
 *   connection lost) is delivered again, to this or another consumer; a message abandoned more than
 *   `redeliveryLimit` times is dead-lettered as poison. Handlers must therefore be idempotent.
 * - Competing consumers: each message goes to one subscriber at a time, never more than `concurrency`
 *   handlers run per subscription.
 * - Messages are JSON. What is published is serialised with JSON.stringify (Dates become strings);
 *   what comes off the wire must be an object with the envelope below, else it is dead-lettered
 *   without reaching a handler.
 * - A delayed message (and a retry) is never delivered before its time; it may be a little late.
 * - Channel names live under the adapter's `prefix` (one namespace per app / cluster namespace).
 */
export interface MessageQueue {
  readonly type: QueueAdapterType;
  /** Opens connections. Idempotent; every other method connects first when needed. */
  connect(): Promise<void>;
  /**
   * Graceful (default): stops taking new messages, waits for in-flight handlers (up to `timeoutMs`),
   * waits for unconfirmed publishes, then closes connections. Forced: aborts handlers' signals and
   * closes at once; their messages are delivered again elsewhere. Later calls reject with CB_ERR_QUEUE_CLOSED.
   */
  close(options?: CloseOptions): Promise<void>;
  /**
   * Resolves with the message id once the broker has durably accepted the message (Redis write,
   * RabbitMQ publisher confirm). With `jobId` the id is the jobId, and a second publish of a jobId
   * already known is a no-op resolving with the same id (see `jobId` for how long it is known).
   */
  publish(channel: string, message: unknown, options?: PublishOptions): Promise<string>;
  /** Starts consuming. The returned function stops this subscription (graceful by default). */
  subscribe<T = unknown>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Unsubscribe>;
  /** Dead messages, oldest first where the broker keeps an order, at most `limit` (default 100). */
  deadLetters(channel: string, options?: DeadLettersOptions): Promise<DeadLetter[]>;
  /** Moves dead messages (all, or those ids) back to the channel with a fresh set of attempts. Returns how many moved. */
  requeueDeadLetters(channel: string, ids?: readonly string[]): Promise<number>;
  /** Removes the dead messages with these ids for good (an operator's decision). Returns how many were removed. */
  discardDeadLetters(channel: string, ids: readonly string[]): Promise<number>;
  /**
   * Milliseconds since the oldest waiting message (ready to deliver, not delayed) was published: 0 when
   * none waits, null when the broker cannot tell without consuming (RabbitMQ).
   */
  oldestWaitingMs(channel: string): Promise<number | null>;
  /** Counts for /metrics; cheap enough to poll (a few round trips to the broker). */
  stats(channel: string): Promise<QueueStats>;
  /** Drops the channel: every waiting, delayed and dead message and the broker objects behind it. */
  deleteChannel(channel: string): Promise<void>;
}

export type QueueAdapterType = 'memory' | 'redis' | 'rabbitmq';

export interface BackoffOptions {
  /** fixed: `delayMs` before every retry; exponential: `delayMs * 2^(n-1)` before retry n. */
  readonly type: 'fixed' | 'exponential';
  readonly delayMs: number;
}

export interface PublishOptions {
  /** Deliver no earlier than this many milliseconds from now. */
  readonly delayMs?: number;
  /** Deliveries a failing message gets in total before it is dead-lettered; 1 = no retry. */
  readonly attempts?: number;
  readonly backoff?: BackoffOptions;
  /**
   * Idempotency key (1–200 characters): the message is queued once per jobId. A jobId stays known while
   * its message is waiting, delayed, in flight or dead, and for `completedRetentionMs` after it was
   * processed. RabbitMQ has no shared store for this: its adapter remembers jobIds per process
   * (publishes of one jobId from two processes are not deduplicated).
   */
  readonly jobId?: string;
}

export interface DeliveryContext {
  /** 1 on the first delivery, n on the n-th after n-1 failures. Redeliveries after a crash keep the number. */
  readonly attempt: number;
  /** Message id: the jobId when one was given, else a random UUID. */
  readonly id: string;
  /**
   * Aborted when this delivery is abandoned (forced close, lost connection or lock): the message will
   * be delivered again, so stop work that is not needed any more.
   */
  readonly signal: AbortSignal;
}

export type MessageHandler<T = unknown> = (message: T, context: DeliveryContext) => Promise<void> | void;

export interface SubscribeOptions {
  /** Handlers this subscription runs at once (RabbitMQ prefetch, BullMQ worker concurrency). Default 1. */
  readonly concurrency?: number;
}

export interface CloseOptions {
  /** Default true: finish in-flight handlers first. */
  readonly graceful?: boolean;
  /** Upper bound for the graceful wait; afterwards the close continues as a forced one. Default: no bound. */
  readonly timeoutMs?: number;
}

/** The handle of one subscription: calling it stops the subscription (graceful by default). */
export interface Unsubscribe {
  (options?: CloseOptions): Promise<void>;
  /** Is this consumer alive? Cheap (no broker round trip): the adapter keeps it current. */
  status(): ConsumerStatus;
}

/**
 * Liveness of one subscription, so a node can tell "attached and working" from "silently stopped"
 * (a consumer the broker dropped, a worker loop that ended, a channel that no longer answers).
 */
export interface ConsumerStatus {
  readonly channel: string;
  /** Registered with the broker: BullMQ worker running, AMQP consumer tag live on an open channel, memory consumer on its channel. */
  readonly attached: boolean;
  /**
   * Epoch ms of the last completed round: a delivery that settled, a BullMQ poll that came back, or a
   * probe on the consumer's own connection (every `consumerProbeMs`). null until the first one.
   */
  readonly lastRoundAt: number | null;
  /** Why it is not attached, when known. */
  readonly reason?: string;
  /**
   * Not attached, but the adapter is bringing it back by itself (the broker connection dropped and is
   * being re-established; the consumer re-registers once it is up). A supervisor reports it and waits
   * rather than re-creating it, as long as rounds are not older than its bound.
   */
  readonly recovering?: boolean;
}

export interface DeadLettersOptions {
  readonly limit?: number;
}

export interface DeadLetter {
  readonly id: string;
  /** The published message, or the raw payload when it never was a valid envelope. */
  readonly message: unknown;
  /** Last error: the handler's error message, or why the broker gave up (delivery limit, bad envelope). */
  readonly error: string;
  /** Deliveries that ended in a failure. */
  readonly attempts: number;
  /** Epoch milliseconds of the final failure (0 when the broker does not say). */
  readonly failedAt: number;
}

/**
 * Gauges for /metrics. `waiting`: ready to deliver; `delayed`: waiting for their time (delays and retry
 * backoff); `inFlight`: handlers running; `deadLettered`: in the dead-letter queue.
 * Scope of `inFlight`: redis counts the whole cluster (BullMQ active jobs); rabbitmq and memory count
 * this process only (RabbitMQ tells unacked counts only through its management plugin).
 */
export interface QueueStats {
  readonly waiting: number;
  readonly delayed: number;
  readonly inFlight: number;
  readonly deadLettered: number;
}

/** Where background errors go (connection drops, a failed ack). A Moleculer logger fits. */
export type QueueLogger = Pick<Logger, 'warn' | 'error'> & Partial<Pick<Logger, 'info'>>;

/** Options every adapter takes. Values that end up in broker objects must match on every node. */
export interface QueueCommonOptions {
  /** Namespace of every channel (app name, cluster namespace): `[A-Za-z0-9_.:-]`, default `cb`. */
  readonly prefix?: string;
  /** Used when publish gives no `attempts`. Default 3. */
  readonly defaultAttempts?: number;
  /** Used when publish gives no `backoff`. Default exponential from 1000 ms. */
  readonly defaultBackoff?: BackoffOptions;
  /** How long a processed message's jobId keeps deduplicating publishes. Default 3,600,000 (1 h). */
  readonly completedRetentionMs?: number;
  /** At most this many processed jobIds are remembered per channel. Default 10,000. */
  readonly completedRetentionCount?: number;
  /**
   * Times an abandoned message (its consumer died or was force-closed) is delivered again before it is
   * dead-lettered as poison. Default 5. RabbitMQ: the queue's `x-delivery-limit`, so every node must
   * use the same value (a different one is refused with CB_ERR_CONFIG_INVALID). Redis: `maxStalledCount`.
   */
  readonly redeliveryLimit?: number;
  readonly logger?: QueueLogger;
  /**
   * How often an idle consumer proves it is alive with a round trip on its own connection (BullMQ
   * worker client PING, AMQP queue check on the consumer channel), stamping ConsumerStatus.lastRoundAt. Default 5,000.
   */
  readonly consumerProbeMs?: number;
}

export interface RedisQueueOptions extends QueueCommonOptions {
  readonly type: 'redis';
  /** redis:// or rediss:// URL. */
  readonly url: string;
  /** BullMQ lockDuration: a consumer silent this long loses its messages to others. Default 30,000. */
  readonly lockDurationMs?: number;
  /** BullMQ stalledInterval: how often workers look for messages whose consumer died. Default 30,000. */
  readonly stalledIntervalMs?: number;
  /** BullMQ drainDelay in ms (long-poll on an empty queue; rounded up to whole seconds; capped at consumerProbeMs, since a returning poll is the idle worker's liveness round). Default 5,000. */
  readonly drainDelayMs?: number;
}

export interface RabbitQueueOptions extends QueueCommonOptions {
  readonly type: 'rabbitmq';
  /** amqp:// or amqps:// URL. */
  readonly url: string;
  /** AMQP heartbeat; a dead broker or network is noticed after about two of these. Default 10. */
  readonly heartbeatSec?: number;
  /**
   * First wait before reconnecting after the connection drops; doubles up to `reconnectMaxDelayMs`. Also
   * how long a consumer cancelled by the broker waits before re-subscribing, and how long after finding a
   * channel's queue deleted this process waits before re-creating it. Default 500.
   */
  readonly reconnectDelayMs?: number;
  /** Default 15,000. */
  readonly reconnectMaxDelayMs?: number;
  /** How long publish waits for a (re)connection and the broker's confirm before CB_ERR_QUEUE_UNAVAILABLE. Default 10,000. */
  readonly publishTimeoutMs?: number;
  /**
   * stats(): how often to look for delay-ladder queues this process has not seen (a missing queue is a
   * channel error, logged by the broker). 0 = never. Default 60,000.
   */
  readonly stepProbeMs?: number;
  /** Shown in the RabbitMQ connection list. Default `clusterbase-queue-<pid>`. */
  readonly connectionName?: string;
}
