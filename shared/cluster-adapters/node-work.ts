import type { LockAdapter, LockInfo } from '../lock/index.js';
import type { CloseOptions, ConsumerStatus, MessageHandler, MessageQueue, SubscribeOptions, Unsubscribe } from '../queue/index.js';

/** A message this node's handlers work on now. */
export interface Delivery {
  readonly channel: string;
  readonly id: string;
  readonly attempt: number;
  /** Epoch ms when the handler started. */
  readonly since: number;
  readonly message: unknown;
}

interface Subscription {
  readonly queue: MessageQueue;
  readonly channel: string;
  readonly handler: MessageHandler;
  readonly options: SubscribeOptions | undefined;
  /** The live subscription; null while the node is drained (or before it is made again). */
  current: Unsubscribe | null;
  /** The graceful stop of `current` while a drain finishes its in-flight handlers. */
  stopping: Promise<void> | null;
}

/**
 * What this node works on, for the cluster console: queue subscriptions (paused while the node is
 * drained, made again when it is undrained), the deliveries its handlers run now, and the locks it
 * holds (key, fence, expiry; never the token). Wraps the node's queue and lock adapters, so every
 * processor is covered without knowing about it.
 */
export class NodeWork {
  private drainedFlag = false;
  private readonly subscriptions = new Set<Subscription>();
  private readonly deliveries = new Map<string, Delivery>();
  private readonly held = new Map<string, LockInfo & { readonly token: string }>();
  private seq = 0;

  /** True from `drain()` to `undrain()`: no queue consumer of this node takes new messages. */
  get drained(): boolean {
    return this.drainedFlag;
  }

  /**
   * Stops every consumer of this node from taking new messages; resolves when the handlers already
   * running have finished (the messages they hold are acknowledged as usual).
   */
  async drain(): Promise<void> {
    this.drainedFlag = true;
    await Promise.all([...this.subscriptions].map((s) => this.pause(s)));
  }

  /** Consumers take messages again. */
  async undrain(): Promise<void> {
    this.drainedFlag = false;
    await Promise.all([...this.subscriptions].map((s) => this.resume(s)));
  }

  /** Live consumers per channel on this node (a drained node has none). */
  consumers(): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.subscriptions) out.set(s.channel, (out.get(s.channel) ?? 0) + (s.current ? 1 : 0));
    return out;
  }

  inFlight(): Delivery[] {
    return [...this.deliveries.values()].sort((a, b) => a.since - b.since);
  }

  /** Locks this node holds whose lease has not run out, without their tokens. */
  heldLocks(now = Date.now()): LockInfo[] {
    return [...this.held.values()].filter((l) => l.expiresAt > now).map(({ key, fence, expiresAt }) => ({ key, fence, expiresAt }));
  }

  wrapQueue(queue: MessageQueue): MessageQueue {
    return {
      type: queue.type,
      connect: () => queue.connect(),
      close: (options) => queue.close(options),
      publish: (channel, message, options) => queue.publish(channel, message, options),
      subscribe: (channel, handler, options) => this.subscribe(queue, channel, handler as MessageHandler, options),
      deadLetters: (channel, options) => queue.deadLetters(channel, options),
      requeueDeadLetters: (channel, ids) => queue.requeueDeadLetters(channel, ids),
      discardDeadLetters: (channel, ids) => queue.discardDeadLetters(channel, ids),
      stats: (channel) => queue.stats(channel),
      oldestWaitingMs: (channel) => queue.oldestWaitingMs(channel),
      deleteChannel: (channel) => queue.deleteChannel(channel),
    };
  }

  wrapLock(lock: LockAdapter): LockAdapter {
    const held = this.held;
    return {
      type: lock.type,
      inProcess: lock.inProcess,
      connect: () => lock.connect(),
      close: () => lock.close(),
      async acquire(key, options) {
        const handle = await lock.acquire(key, options);
        held.set(key, { key, fence: handle.fence, expiresAt: handle.expiresAt, token: handle.token });
        return handle;
      },
      async extend(key, token, ttlMs) {
        const expiresAt = await lock.extend(key, token, ttlMs);
        const mine = held.get(key);
        if (mine?.token === token) held.set(key, { ...mine, expiresAt });
        return expiresAt;
      },
      async release(key, token) {
        if (held.get(key)?.token === token) held.delete(key);
        return lock.release(key, token);
      },
      list: (prefix) => lock.list(prefix),
    };
  }

  private async subscribe(queue: MessageQueue, channel: string, handler: MessageHandler, options?: SubscribeOptions): Promise<Unsubscribe> {
    const tracked: MessageHandler = async (message, context) => {
      const key = `${channel}\u0000${context.id}\u0000${this.seq++}`;
      this.deliveries.set(key, { channel, id: context.id, attempt: context.attempt, since: Date.now(), message });
      try {
        await handler(message, context);
      } finally {
        this.deliveries.delete(key);
      }
    };
    const sub: Subscription = { queue, channel, handler: tracked, options, current: null, stopping: null };
    if (!this.drainedFlag) sub.current = await queue.subscribe(channel, tracked, options);
    this.subscriptions.add(sub);
    const unsubscribe = async (closeOptions?: CloseOptions) => {
      this.subscriptions.delete(sub);
      const current = sub.current;
      sub.current = null;
      await Promise.all([current?.(closeOptions), sub.stopping]);
    };
    // While drained there is no consumer: detached on purpose, for a reason the console shows.
    const status = (): ConsumerStatus => sub.current?.status() ?? { channel, attached: false, lastRoundAt: null, reason: 'the node is drained (cluster:drain)' };
    return Object.assign(unsubscribe, { status });
  }

  private async pause(sub: Subscription): Promise<void> {
    const current = sub.current;
    if (!current) return sub.stopping ?? undefined;
    sub.current = null;
    sub.stopping = current({ graceful: true }).finally(() => (sub.stopping = null));
    await sub.stopping;
  }

  private async resume(sub: Subscription): Promise<void> {
    await sub.stopping;
    if (sub.current || this.drainedFlag || !this.subscriptions.has(sub)) return;
    sub.current = await sub.queue.subscribe(sub.channel, sub.handler, sub.options);
  }
}
