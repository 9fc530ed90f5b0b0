import type { RedisOptions } from 'ioredis';
import type { ServiceBroker } from 'moleculer';
import type { LocalHub } from './local-transport.js';
import type { Logger } from '../errors/index.js';

/**
 * A transaction-like object that runs callbacks once it has committed (and never if it rolls back).
 * MikroORM/Knex/Sequelize transactions are adapted to it in the data layer.
 */
export interface AfterCommitHost {
  afterCommit(callback: () => void): void;
}

export interface PublishOptions {
  /** Default true: the publishing node's own subscribers do not receive the signal. */
  readonly skipSelf?: boolean;
  /**
   * Publish only once this transaction has committed; nothing is sent if it never commits. publish()
   * then resolves at once (after registering); a failure of the later send goes to `onError`.
   */
  readonly afterCommit?: AfterCommitHost;
  /** Override the signal's debounce window for this message (0: send at once, no coalescing). */
  readonly debounceMs?: number;
}

/** What a handler learns about a signal besides its message. */
export interface SignalMeta {
  readonly app: string;
  readonly channel: string;
  /** nodeId of the publishing SyncSignal. */
  readonly from: string;
  /** True when this node published it (only possible with `skipSelf: false`). */
  readonly self: boolean;
  /** Unique id of this signal (coalesced duplicates share it). */
  readonly id: string;
  /** Publisher's Date.now() when it sent the signal. */
  readonly publishedAt: number;
}

export type SignalHandler<T = unknown> = (message: T, meta: SignalMeta) => void | Promise<void>;

/**
 * Told when this node may have missed signals on a channel and must reload its state:
 * `gap`: signals were trimmed from the Redis stream before this node read them (beyond retention);
 * `reset`: the stream's numbering restarted (stream deleted or Redis flushed);
 * `reconnect`: the transporter reconnected (Moleculer broadcasts are not replayed).
 */
export interface ResyncEvent {
  readonly app: string;
  readonly channel: string;
  readonly reason: 'gap' | 'reset' | 'reconnect';
  /** Signals known to be lost, when the adapter can count them. */
  readonly missed?: number;
}

export type ResyncHandler = (event: ResyncEvent) => void | Promise<void>;

export type Unsubscribe = () => Promise<void>;

export type SyncAdapterKind = 'local' | 'transporter' | 'redis';

/**
 * The sync signal port (NocoBase's pub/sub): tells the other nodes that something changed, so they
 * drop caches or reload definitions. Signals are small JSON messages, per app and channel, delivered
 * at most once per subscriber except where an adapter replays (Redis) — handlers must be idempotent.
 */
export interface SyncSignal {
  readonly kind: SyncAdapterKind;
  /** The app whose channels this view publishes to and subscribes on. */
  readonly app: string;
  /** This node's id (shared by all its views); signals carry it as `from`. */
  readonly nodeId: string;
  publish<T = unknown>(channel: string, message: T, options?: PublishOptions): Promise<void>;
  /**
   * Calls `handler` for every signal on `channel` published from now on. Resolves once the node is
   * listening (after connect(); before it, listening starts in connect()). Handlers of one node run
   * one signal at a time, in order.
   */
  subscribe<T = unknown>(channel: string, handler: SignalHandler<T>): Promise<Unsubscribe>;
  /** Calls `handler` when this view's app may have missed signals; returns the remover. */
  onResync(handler: ResyncHandler): () => void;
  /** A view for another app on the same node and connection. */
  forApp(app: string): SyncSignal;
  /** Opens the adapter (idempotent). On a view: opens the shared node. */
  connect(): Promise<void>;
  /** Root: sends pending debounced signals, then closes. View: removes the view's handlers only. */
  close(): Promise<void>;
}

/** The wire form of one signal, the same on every adapter. */
export interface Envelope {
  readonly id: string;
  readonly from: string;
  readonly app: string;
  readonly channel: string;
  readonly message: unknown;
  readonly skipSelf: boolean;
  readonly at: number;
}

/** Where a transport hands what it receives. */
export interface TransportSink {
  readonly nodeId: string;
  deliver(envelope: Envelope): Promise<void>;
  resync(event: ResyncEvent): Promise<void>;
  /** Trouble the transport recovered from or cannot report otherwise. */
  warn(message: string, err?: unknown): void;
}

/**
 * What an adapter implements: moving envelopes between nodes for the topics (app + channel) a node
 * listens to. Debounce, skipSelf, after-commit and handler bookkeeping live once, above it.
 */
export interface SyncTransport {
  readonly kind: SyncAdapterKind;
  connect(sink: TransportSink): Promise<void>;
  close(): Promise<void>;
  send(envelope: Envelope): Promise<void>;
  /** Start receiving signals on this topic published from now on. */
  listen(app: string, channel: string): Promise<void>;
  unlisten(app: string, channel: string): Promise<void>;
}

export type SyncLogger = Pick<Logger, 'warn'>;

interface CommonSyncOptions {
  /** App of the root view. Default `main`. */
  readonly app?: string;
  /** Node id carried by signals. Default: a random UUID per instance. */
  readonly nodeId?: string;
  /**
   * Identical messages (same app, channel, skipSelf and JSON) published within this many ms are sent
   * once, at the end of the window. Default 100; 0 disables coalescing.
   */
  readonly debounceMs?: number;
  /** Receives handler failures and transport trouble. Default: console.warn. */
  readonly logger?: SyncLogger;
}

export interface LocalSyncOptions extends CommonSyncOptions {
  readonly type: 'local' | 'memory';
  /** Signals reach every SyncSignal on the same hub. Default: one hub per process. */
  readonly hub?: LocalHub;
}

export interface TransporterSyncOptions extends CommonSyncOptions {
  readonly type: 'transporter';
  /** The node's Moleculer ServiceBroker (started or not). */
  readonly broker: ServiceBroker;
  /** Name of the internal service that receives signals. Default `$sync`. */
  readonly serviceName?: string;
  /** First segment of the broadcast event names: `<eventPrefix>.<app>.<channel>`. Default `sync`. */
  readonly eventPrefix?: string;
}

export interface RedisSyncOptions extends CommonSyncOptions {
  readonly type: 'redis';
  readonly url: string;
  readonly redisOptions?: RedisOptions;
  /** Stream key prefix: `<prefix>:{<app>:<channel>}`. Default `cb:sync`. */
  readonly prefix?: string;
  /** Signals kept per channel stream (XADD MAXLEN). Default 10,000 (PUBSUB_RETENTION). */
  readonly retention?: number;
  /** Trim streams exactly to `retention` instead of Redis's cheaper approximate trim. Default false. */
  readonly exactTrim?: boolean;
  /** How long one XREAD BLOCK waits before it is re-issued. Default 5000. */
  readonly blockMs?: number;
  /** Entries read per stream per XREAD. Default 100. */
  readonly readCount?: number;
  /** Delay before a reconnect attempt (grows linearly per attempt up to maxReconnectDelayMs). Default 100. */
  readonly reconnectDelayMs?: number;
  /** Default 2000. */
  readonly maxReconnectDelayMs?: number;
  /** CLIENT SETNAME of the node's connections: `<name>` and `<name>:reader`. Default `cb-sync:<nodeId>`. */
  readonly connectionName?: string;
}

export type SyncSignalOptions = LocalSyncOptions | TransporterSyncOptions | RedisSyncOptions;
