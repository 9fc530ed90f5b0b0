import { randomUUID } from 'node:crypto';
import { cbError } from '../errors/index.js';
import { Debouncer } from './debouncer.js';
import { checkChannel, topicKey } from './names.js';
import type {
  Envelope,
  PublishOptions,
  ResyncEvent,
  ResyncHandler,
  SignalHandler,
  SyncLogger,
  SyncTransport,
  TransportSink,
  Unsubscribe,
} from './types.js';

interface Subscription {
  readonly app: string;
  readonly channel: string;
  readonly handler: SignalHandler<unknown>;
}

export interface SyncNodeOptions {
  readonly nodeId?: string;
  readonly debounceMs: number;
  readonly logger: SyncLogger;
}

/**
 * One node's sync signal machinery, shared by all its app views: handler tables, debounce, skipSelf,
 * after-commit, and the transport's lifecycle. Transports only move envelopes.
 */
export class SyncNode implements TransportSink {
  readonly nodeId: string;
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  private readonly listening = new Map<string, Promise<void>>();
  private readonly resyncHandlers = new Set<{ readonly app: string; readonly handler: ResyncHandler }>();
  private readonly debouncer = new Debouncer();
  private state: 'idle' | 'connecting' | 'connected' | 'closed' = 'idle';
  private connecting: Promise<void> | undefined;

  constructor(
    readonly transport: SyncTransport,
    private readonly options: SyncNodeOptions,
  ) {
    this.nodeId = options.nodeId ?? randomUUID();
  }

  connect(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(cbError('CB_ERR_SERVICE_UNAVAILABLE', 'This sync signal was closed; create a new one'));
    this.connecting ??= (async () => {
      this.state = 'connecting';
      try {
        await this.transport.connect(this);
      } catch (err) {
        this.state = 'idle';
        this.connecting = undefined;
        throw err;
      }
      this.state = 'connected';
      await Promise.all([...this.subscriptions.values()].map((subs) => {
        const [first] = subs;
        return this.ensureListening(first.app, first.channel);
      }));
    })();
    return this.connecting;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'connected') await this.debouncer.flush();
    this.state = 'closed';
    this.subscriptions.clear();
    this.listening.clear();
    this.resyncHandlers.clear();
    await this.transport.close();
  }

  async publish(app: string, channel: string, message: unknown, options: PublishOptions = {}): Promise<void> {
    checkChannel(channel);
    const json = JSON.stringify(message);
    if (json === undefined) throw new TypeError(`A sync signal message must be JSON-serialisable, got ${typeof message}`);
    const { afterCommit, ...rest } = options;
    if (afterCommit) {
      afterCommit.afterCommit(() => {
        this.publish(app, channel, message, rest).catch((err: unknown) => this.warn(`after-commit signal on ${app}/${channel} failed`, err));
      });
      return;
    }
    if (this.state !== 'connected') {
      throw cbError('CB_ERR_SERVICE_UNAVAILABLE', `The sync signal is ${this.state === 'closed' ? 'closed' : 'not connected: call connect() first'}`);
    }
    const skipSelf = options.skipSelf ?? true;
    const debounceMs = options.debounceMs ?? this.options.debounceMs;
    const send = () =>
      this.transport.send({ id: randomUUID(), from: this.nodeId, app, channel, message: JSON.parse(json), skipSelf, at: Date.now() });
    if (debounceMs <= 0) return send();
    return this.debouncer.run(`${topicKey(app, channel)}\u0000${skipSelf}\u0000${json}`, debounceMs, send);
  }

  async subscribe(app: string, channel: string, handler: SignalHandler<unknown>): Promise<Unsubscribe> {
    checkChannel(channel);
    if (typeof handler !== 'function') throw new TypeError('subscribe() needs a handler function');
    if (this.state === 'closed') throw cbError('CB_ERR_SERVICE_UNAVAILABLE', 'The sync signal is closed');
    const key = topicKey(app, channel);
    const subscription: Subscription = { app, channel, handler };
    let subs = this.subscriptions.get(key);
    if (!subs) {
      subs = new Set();
      this.subscriptions.set(key, subs);
    }
    subs.add(subscription);
    if (this.state === 'connected') await this.ensureListening(app, channel);
    return async () => {
      const current = this.subscriptions.get(key);
      if (!current?.delete(subscription) || current.size > 0) return;
      this.subscriptions.delete(key);
      const wasListening = this.listening.delete(key);
      if (wasListening && this.state === 'connected') await this.transport.unlisten(app, channel);
    };
  }

  onResync(app: string, handler: ResyncHandler): () => void {
    const entry = { app, handler };
    this.resyncHandlers.add(entry);
    return () => {
      this.resyncHandlers.delete(entry);
    };
  }

  async deliver(envelope: Envelope): Promise<void> {
    const subs = this.subscriptions.get(topicKey(envelope.app, envelope.channel));
    if (!subs) return;
    const self = envelope.from === this.nodeId;
    if (self && envelope.skipSelf) return;
    const meta = { app: envelope.app, channel: envelope.channel, from: envelope.from, self, id: envelope.id, publishedAt: envelope.at };
    for (const { handler } of [...subs]) {
      try {
        // Each handler gets its own copy: one handler mutating the message cannot affect the next.
        await handler(structuredClone(envelope.message), meta);
      } catch (err) {
        this.warn(`sync handler on ${envelope.app}/${envelope.channel} failed`, err);
      }
    }
  }

  async resync(event: ResyncEvent): Promise<void> {
    for (const { app, handler } of [...this.resyncHandlers]) {
      if (app !== event.app) continue;
      try {
        await handler(event);
      } catch (err) {
        this.warn(`resync handler on ${event.app}/${event.channel} failed`, err);
      }
    }
  }

  warn(message: string, err?: unknown): void {
    this.options.logger.warn(message, err);
  }

  private ensureListening(app: string, channel: string): Promise<void> {
    const key = topicKey(app, channel);
    let listening = this.listening.get(key);
    if (!listening) {
      listening = this.transport.listen(app, channel);
      this.listening.set(key, listening);
      listening.catch(() => {
        if (this.listening.get(key) === listening) this.listening.delete(key);
      });
    }
    return listening;
  }
}
