import type { Context, Service, ServiceBroker } from 'moleculer';
import { topicKey } from './names.js';
import type { Envelope, SyncTransport, TransportSink } from './types.js';

/** The one internal service per broker and service name, shared by every transport on that broker. */
interface Dispatcher {
  readonly members: Set<TransporterTransport>;
  readonly service: Service;
}

const dispatchers = new WeakMap<ServiceBroker, Map<string, Dispatcher>>();

export interface TransporterTransportOptions {
  readonly broker: ServiceBroker;
  readonly serviceName?: string;
  readonly eventPrefix?: string;
}

/**
 * Moleculer adapter: a signal is `broker.broadcast('<eventPrefix>.<app>.<channel>', envelope)`, so it
 * reaches every node of the namespace over the broker's transporter (NATS, Redis, …); each node
 * receives through one internal service (default `$sync`) with a `<eventPrefix>.**` handler.
 * Broadcasts are fire-and-forget: a node that is disconnected misses them, so after the transporter
 * reconnects every listened topic gets a `reconnect` resync.
 */
export class TransporterTransport implements SyncTransport {
  readonly kind = 'transporter' as const;
  private readonly broker: ServiceBroker;
  private readonly serviceName: string;
  private readonly eventPrefix: string;
  private sink: TransportSink | undefined;
  private readonly topics = new Map<string, { app: string; channel: string }>();
  private queue: Promise<void> = Promise.resolve();

  constructor(options: TransporterTransportOptions) {
    this.broker = options.broker;
    this.serviceName = options.serviceName ?? '$sync';
    this.eventPrefix = options.eventPrefix ?? 'sync';
  }

  async connect(sink: TransportSink): Promise<void> {
    this.sink = sink;
    let byName = dispatchers.get(this.broker);
    if (!byName) {
      byName = new Map();
      dispatchers.set(this.broker, byName);
    }
    let dispatcher = byName.get(this.serviceName);
    if (!dispatcher) {
      const members = new Set<TransporterTransport>();
      const service = this.broker.createService({
        name: this.serviceName,
        events: {
          [`${this.eventPrefix}.**`]: {
            handler(ctx: Context<Envelope>) {
              for (const member of members) member.receive(ctx.params);
            },
          },
        },
      });
      dispatcher = { members, service };
      byName.set(this.serviceName, dispatcher);
      // A service added to a running broker starts asynchronously; wait so signals sent right after
      // connect() are already received here. On a broker not started yet, broker.start() starts it.
      if (this.broker.started) await this.broker.waitForServices(this.serviceName, 0, 10);
    }
    dispatcher.members.add(this);
    this.broker.localBus.on('$transporter.connected', this.onTransporterConnected);
  }

  async close(): Promise<void> {
    this.broker.localBus.off('$transporter.connected', this.onTransporterConnected);
    this.topics.clear();
    const byName = dispatchers.get(this.broker);
    const dispatcher = byName?.get(this.serviceName);
    if (dispatcher?.members.delete(this) && dispatcher.members.size === 0) {
      byName!.delete(this.serviceName);
      if (this.broker.started) {
        await this.broker.destroyService(dispatcher.service).catch((err: unknown) => this.sink?.warn('could not remove the sync service', err));
      }
    }
    await this.queue;
    this.sink = undefined;
  }

  async send(envelope: Envelope): Promise<void> {
    await this.broker.broadcast(`${this.eventPrefix}.${envelope.app}.${envelope.channel}`, envelope);
  }

  async listen(app: string, channel: string): Promise<void> {
    this.topics.set(topicKey(app, channel), { app, channel });
  }

  async unlisten(app: string, channel: string): Promise<void> {
    this.topics.delete(topicKey(app, channel));
  }

  /** Called by the shared service for every signal event this broker receives. */
  receive(envelope: Envelope): void {
    if (!envelope || !this.topics.has(topicKey(envelope.app, envelope.channel))) return;
    this.enqueue(() => this.sink?.deliver(envelope));
  }

  private readonly onTransporterConnected = (payload: { wasReconnect?: boolean } | undefined): void => {
    if (!payload?.wasReconnect) return;
    for (const { app, channel } of [...this.topics.values()]) {
      this.enqueue(() => this.sink?.resync({ app, channel, reason: 'reconnect' }));
    }
  };

  /** One signal at a time per node, in arrival order. */
  private enqueue(task: () => Promise<void> | undefined): void {
    this.queue = this.queue.then(task).catch((err: unknown) => this.sink?.warn('sync delivery failed', err));
  }
}
