import type { BackoffOptions, DeadLetter, QueueStats } from './types.js';
import { backoffDelay } from './backoff.js';
import { decodeEnvelope, rawPayload } from './envelope.js';

/** One message as the in-process broker keeps it: the wire text plus its delivery bookkeeping. */
export interface StoredMessage {
  readonly id: string;
  /** Envelope JSON, exactly what a network broker would carry. */
  readonly wire: string;
  readonly attempts: number;
  readonly backoff: BackoffOptions;
  readonly redeliveryLimit: number;
  /** Deliveries that ended in a handler failure. */
  failures: number;
  /** Deliveries abandoned without an outcome. */
  redeliveries: number;
}

/** A subscriber as the channel sees it: capacity plus a way to hand it a message. */
export interface MemoryConsumer {
  readonly concurrency: number;
  running: number;
  deliver(message: StoredMessage): void;
}

interface DeadEntry {
  readonly message: StoredMessage;
  readonly error: string;
  readonly failedAt: number;
}

/** Longest setTimeout Node accepts; longer delays re-arm. */
const MAX_TIMER = 2 ** 31 - 1;

/**
 * One channel of the in-process broker. Same states as the network adapters: waiting (FIFO),
 * delayed (timers), in flight (per consumer), dead, and recently completed ids for jobId dedupe.
 */
export class MemoryChannel {
  private waiting: StoredMessage[] = [];
  private readonly waitingIds = new Set<string>();
  /** When each waiting message became ready (epoch ms), for oldestWaitingMs. */
  private readonly waitingSince = new Map<string, number>();
  private readonly delayed = new Map<string, { message: StoredMessage; timer: NodeJS.Timeout }>();
  private readonly inFlight = new Map<string, { message: StoredMessage; consumer: MemoryConsumer }>();
  private readonly dead = new Map<string, DeadEntry>();
  private readonly completed = new Map<string, number>();
  private consumers: MemoryConsumer[] = [];
  private next = 0;

  /** True while the id is waiting, delayed, in flight, dead, or completed within its retention. */
  knows(id: string): boolean {
    this.pruneCompleted(Number.POSITIVE_INFINITY);
    return this.waitingIds.has(id) || this.delayed.has(id) || this.inFlight.has(id) || this.dead.has(id) || this.completed.has(id);
  }

  enqueue(message: StoredMessage, delayMs: number): void {
    if (delayMs > 0) this.delay(message, Date.now() + delayMs);
    else {
      this.pushWaiting(message);
      this.pump();
    }
  }

  addConsumer(consumer: MemoryConsumer): void {
    this.consumers.push(consumer);
    this.pump();
  }

  hasConsumer(consumer: MemoryConsumer): boolean {
    return this.consumers.includes(consumer);
  }

  removeConsumer(consumer: MemoryConsumer): void {
    this.consumers = this.consumers.filter((c) => c !== consumer);
  }

  /** Handler resolved: the message is done; its id stays known for the retention window. */
  ack(message: StoredMessage, retentionMs: number, retentionCount: number): void {
    if (!this.release(message)) return;
    if (retentionMs > 0 && retentionCount > 0) {
      this.completed.delete(message.id);
      this.completed.set(message.id, Date.now() + retentionMs);
      this.pruneCompleted(retentionCount);
    }
    this.pump();
  }

  /** Handler rejected: retry after backoff, or dead-letter once every attempt failed. */
  fail(message: StoredMessage, error: string): void {
    if (!this.release(message)) return;
    message.failures += 1;
    if (message.failures < message.attempts) this.delay(message, Date.now() + backoffDelay(message.backoff, message.failures));
    else this.dead.set(message.id, { message, error, failedAt: Date.now() });
    this.pump();
  }

  /** The consumer gave up without an outcome: deliver again first, or dead-letter a repeat offender. */
  abandon(message: StoredMessage): void {
    if (!this.release(message)) return;
    message.redeliveries += 1;
    if (message.redeliveries > message.redeliveryLimit) {
      this.dead.set(message.id, {
        message,
        error: `delivery abandoned ${message.redeliveries} times (redelivery limit ${message.redeliveryLimit})`,
        failedAt: Date.now(),
      });
    } else {
      this.waiting.unshift(message);
      this.waitingIds.add(message.id);
      this.waitingSince.set(message.id, Date.now());
    }
    this.pump();
  }

  /** A payload that is not an envelope goes straight to the dead letters. */
  reject(message: StoredMessage, error: string): void {
    if (!this.release(message)) return;
    this.dead.set(message.id, { message, error, failedAt: Date.now() });
    this.pump();
  }

  deadLetters(limit: number): DeadLetter[] {
    const out: DeadLetter[] = [];
    for (const [id, entry] of this.dead) {
      if (out.length >= limit) break;
      let body: unknown;
      try {
        body = decodeEnvelope(entry.message.wire).body;
      } catch {
        body = rawPayload(entry.message.wire);
      }
      out.push({ id, message: body, error: entry.error, attempts: entry.message.failures, failedAt: entry.failedAt });
    }
    return out;
  }

  discard(ids: readonly string[]): number {
    let removed = 0;
    for (const id of new Set(ids)) if (this.dead.delete(id)) removed += 1;
    return removed;
  }

  /** Valid envelopes only: a payload that never parsed would come straight back. */
  requeue(ids: readonly string[] | undefined): number {
    const wanted = ids ? new Set(ids) : undefined;
    let moved = 0;
    for (const [id, entry] of [...this.dead]) {
      if (wanted && !wanted.has(id)) continue;
      try {
        decodeEnvelope(entry.message.wire);
      } catch {
        continue;
      }
      this.dead.delete(id);
      entry.message.failures = 0;
      entry.message.redeliveries = 0;
      this.pushWaiting(entry.message);
      moved += 1;
    }
    this.pump();
    return moved;
  }

  stats(): QueueStats {
    return { waiting: this.waiting.length, delayed: this.delayed.size, inFlight: this.inFlight.size, deadLettered: this.dead.size };
  }

  /** Drops every message not in flight; in-flight outcomes are then ignored. */
  purge(): void {
    this.clearTimers();
    this.waiting = [];
    this.waitingIds.clear();
    this.dead.clear();
    this.completed.clear();
    for (const { consumer } of this.inFlight.values()) consumer.running -= 1;
    this.inFlight.clear();
  }

  clearTimers(): void {
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
  }

  private delay(message: StoredMessage, due: number): void {
    const arm = (): NodeJS.Timeout =>
      setTimeout(() => {
        // Timers may fire a millisecond early; "not before" is a promise, so re-arm until due.
        if (Date.now() < due) {
          this.delayed.set(message.id, { message, timer: arm() });
          return;
        }
        this.delayed.delete(message.id);
        this.pushWaiting(message);
        this.pump();
      }, Math.min(MAX_TIMER, Math.max(0, due - Date.now())));
    this.delayed.set(message.id, { message, timer: arm() });
  }

  /** Ends the in-flight record; false when it was already gone (purged, or handled twice). */
  private release(message: StoredMessage): boolean {
    const entry = this.inFlight.get(message.id);
    if (!entry || entry.message !== message) return false;
    this.inFlight.delete(message.id);
    entry.consumer.running -= 1;
    return true;
  }

  private pushWaiting(message: StoredMessage): void {
    this.waiting.push(message);
    this.waitingIds.add(message.id);
    this.waitingSince.set(message.id, Date.now());
  }

  oldestWaitingMs(): number {
    const first = this.waiting[0];
    return first ? Date.now() - (this.waitingSince.get(first.id) ?? Date.now()) : 0;
  }

  private pruneCompleted(maxCount: number): void {
    const now = Date.now();
    for (const [id, expires] of this.completed) {
      if (expires > now && this.completed.size <= maxCount) break;
      this.completed.delete(id);
    }
  }

  /** Hands waiting messages to consumers with free capacity, round robin. */
  private pump(): void {
    while (this.waiting.length > 0) {
      const consumer = this.freeConsumer();
      if (!consumer) return;
      const message = this.waiting.shift() as StoredMessage;
      this.waitingIds.delete(message.id);
      this.waitingSince.delete(message.id);
      consumer.running += 1;
      this.inFlight.set(message.id, { message, consumer });
      consumer.deliver(message);
    }
  }

  private freeConsumer(): MemoryConsumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i += 1) {
      const c = this.consumers[(this.next + i) % n];
      if (c && c.running < c.concurrency) {
        this.next = (this.next + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }
}

/**
 * The in-process broker: channels by full name. One per process by default; pass the same store to
 * several MemoryQueue instances to make them behave like nodes sharing a broker (used by the tests).
 */
export class MemoryQueueStore {
  private readonly channels = new Map<string, MemoryChannel>();

  channel(name: string): MemoryChannel {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new MemoryChannel();
      this.channels.set(name, channel);
    }
    return channel;
  }

  /** Stops every delay timer, so a closed process is not kept alive by queued delays. */
  clearTimers(): void {
    for (const channel of this.channels.values()) channel.clearTimers();
  }
}
