import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import type { QueueLogger } from './types.js';
import { errorText, queueClosed, queueUnavailable } from './queue-errors.js';

export interface RabbitConnectionOptions {
  readonly url: string;
  readonly heartbeatSec: number;
  readonly reconnectDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly connectionName: string;
  readonly logger: QueueLogger | undefined;
}

/**
 * One AMQP connection that comes back after it drops. While it is down, `model()` waits (bounded) for
 * the next connection; `onLost` listeners hear the drop (their channels are gone, unacked messages are
 * back in the queues), `onRestored` listeners hear the new connection (consumers re-subscribe there).
 * Channel-level errors (a 404 on a check, a 406 on a declare) close only that channel.
 */
export class RabbitConnection {
  private current: ChannelModel | undefined;
  private publisher: Promise<ConfirmChannel> | undefined;
  private probe: Promise<Channel> | undefined;
  private state: 'idle' | 'open' | 'reconnecting' | 'closed' = 'idle';
  private waiters: Array<{ resolve: (m: ChannelModel) => void; reject: (e: unknown) => void }> = [];
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly lostListeners = new Set<() => void>();
  private readonly restoredListeners = new Set<() => void>();

  constructor(private readonly options: RabbitConnectionOptions) {}

  /** First connection: fails loudly instead of retrying, so a wrong URL is seen at start. */
  async open(): Promise<void> {
    if (this.state === 'closed') throw queueClosed();
    try {
      this.attach(await this.dial());
    } catch (err) {
      throw queueUnavailable('Cannot connect to RabbitMQ for the message queue', err);
    }
  }

  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  onRestored(listener: () => void): () => void {
    this.restoredListeners.add(listener);
    return () => this.restoredListeners.delete(listener);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** The live connection, waiting up to `timeoutMs` while a reconnect is under way. */
  model(timeoutMs: number): Promise<ChannelModel> {
    if (this.state === 'closed') return Promise.reject(queueClosed());
    if (this.current && this.state === 'open') return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (m: ChannelModel) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(queueUnavailable(`RabbitMQ is not connected (waited ${timeoutMs} ms)`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The shared publisher channel (confirm mode), re-created after it or the connection closes. */
  confirmChannel(timeoutMs: number): Promise<ConfirmChannel> {
    this.publisher ??= this.model(timeoutMs).then(async (model) => {
      const ch = await model.createConfirmChannel();
      ch.on('error', (err: unknown) => this.options.logger?.warn('queue rabbitmq publisher channel error:', errorText(err)));
      ch.on('close', () => {
        if (this.publisher === promise) this.publisher = undefined;
      });
      return ch;
    });
    const promise = this.publisher;
    promise.catch(() => {
      if (this.publisher === promise) this.publisher = undefined;
    });
    return promise;
  }

  /**
   * A long-lived channel for cheap checks on queues that exist (stats). If a check fails anyway, the
   * channel closes and the next call opens a new one.
   */
  probeChannel(timeoutMs: number): Promise<Channel> {
    this.probe ??= this.model(timeoutMs).then(async (model) => {
      const ch = await model.createChannel();
      ch.on('error', () => undefined); // reported through the failed check
      ch.on('close', () => {
        if (this.probe === promise) this.probe = undefined;
      });
      return ch;
    });
    const promise = this.probe;
    promise.catch(() => {
      if (this.probe === promise) this.probe = undefined;
    });
    return promise;
  }

  /**
   * Runs `fn` on a throwaway channel and closes it afterwards, which returns any message `fn` got and
   * did not ack. A channel error inside (404, 406) rejects `fn` and costs nothing else.
   */
  async withChannel<T>(timeoutMs: number, fn: (ch: Channel) => Promise<T>): Promise<T> {
    const model = await this.model(timeoutMs);
    const ch = await model.createChannel();
    let closed = false;
    ch.on('error', () => undefined); // reported through the failed operation
    ch.on('close', () => {
      closed = true;
    });
    try {
      return await fn(ch);
    } finally {
      if (!closed) await ch.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const w of this.waiters.splice(0)) w.reject(queueClosed());
    const model = this.current;
    this.current = undefined;
    this.publisher = undefined;
    this.probe = undefined;
    if (model) await model.close().catch(() => undefined);
  }

  private dial(): Promise<ChannelModel> {
    const url = new URL(this.options.url);
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(this.options.heartbeatSec));
    return amqp.connect(url.toString(), { clientProperties: { connection_name: this.options.connectionName } });
  }

  private attach(model: ChannelModel): void {
    if (this.state === 'closed') {
      model.close().catch(() => undefined);
      return;
    }
    this.current = model;
    this.state = 'open';
    model.on('error', (err: unknown) => this.options.logger?.warn('queue rabbitmq connection error:', errorText(err)));
    model.on('close', () => {
      if (this.current !== model) return;
      this.current = undefined;
      this.publisher = undefined;
      this.probe = undefined;
      if (this.state === 'closed') return;
      this.state = 'reconnecting';
      this.options.logger?.warn('queue rabbitmq connection lost; reconnecting');
      for (const l of this.lostListeners) l();
      this.scheduleReconnect(this.options.reconnectDelayMs);
    });
    for (const w of this.waiters.splice(0)) w.resolve(model);
  }

  private scheduleReconnect(delayMs: number): void {
    this.reconnectTimer = setTimeout(() => {
      this.dial().then(
        (model) => {
          if (this.state === 'closed') {
            model.close().catch(() => undefined);
            return;
          }
          this.attach(model);
          for (const l of this.restoredListeners) l();
        },
        (err: unknown) => {
          if (this.state === 'closed') return;
          this.options.logger?.warn('queue rabbitmq reconnect failed:', errorText(err));
          this.scheduleReconnect(Math.min(delayMs * 2, this.options.reconnectMaxDelayMs));
        },
      );
    }, delayMs);
  }
}
