import type { CloseOptions, ConsumerStatus, MessageHandler, MessageQueue, SubscribeOptions, Unsubscribe } from '../queue/index.js';

/**
 * The processor key a queue channel belongs to, or null for channels no processor consumes.
 * Mirrors workflowChannel() (`workflow.<app>`) and taskChannel() (`async-task:process:<app>`);
 * a unit test keeps them in step.
 */
export function processorKeyOf(channel: string): string | null {
  if (channel.startsWith('workflow.')) return 'workflow:process';
  if (channel.startsWith('async-task:process:')) return 'async-task:process';
  return null;
}

interface Supervised {
  readonly key: string;
  readonly channel: string;
  readonly handler: MessageHandler;
  readonly options: SubscribeOptions | undefined;
  current: Unsubscribe | undefined;
  subscribedAt: number;
  /** Set when the consumer was found dead; cleared once its replacement proved alive. */
  problem: string | null;
  /** The current problem is a reconnect the supervisor waits out (logged as such). */
  waiting: boolean;
  recreating: boolean;
}

export interface ConsumerSupervisorOptions {
  /** A consumer with no completed round for this long counts as silently stopped. */
  readonly staleAfterMs: number;
  readonly log: { info(m: string): void; error(m: string): void };
}

/**
 * Keeps the consumers of processor channels alive: every third of `staleAfterMs` it reads each one's
 * ConsumerStatus; a consumer that is detached or has completed no poll or delivery round within the
 * bound is reported (problems(), the node's readiness) and re-created under the same handle. One the
 * adapter is reconnecting itself (status.recovering) is reported and left to reconnect, unless its
 * last round is older than the bound. The
 * problem stays reported until the replacement is attached and has completed a round, so a
 * re-creation is visible on /readyz for at least one check interval.
 */
export class ConsumerSupervisor {
  private readonly entries = new Set<Supervised>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** The adapter itself (tests reach its hooks through it). */
    readonly queue: MessageQueue,
    private readonly o: ConsumerSupervisorOptions,
  ) {}

  /** Subscribes; processor channels are supervised, others passed through. */
  async subscribe<T>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Unsubscribe> {
    const current = await this.queue.subscribe(channel, handler, options);
    const key = processorKeyOf(channel);
    if (key === null) return current;
    const entry: Supervised = { key, channel, handler: handler as MessageHandler, options, current, subscribedAt: Date.now(), problem: null, waiting: false, recreating: false };
    this.entries.add(entry);
    this.start();
    const stop = async (o?: CloseOptions) => {
      this.entries.delete(entry);
      const c = entry.current;
      entry.current = undefined;
      await c?.(o);
    };
    const status = (): ConsumerStatus => entry.current?.status() ?? { channel, attached: false, lastRoundAt: null, reason: 'being re-created' };
    return Object.assign(stop, { status });
  }

  /** Keys that have at least one supervised consumer on this node. */
  keys(): Set<string> {
    return new Set([...this.entries].map((e) => e.key));
  }

  /** Problems of the consumers of `key`, one line each (empty: all alive). */
  problems(key: string): string[] {
    return [...this.entries].filter((e) => e.key === key && e.problem).map((e) => e.problem!);
  }

  /** One check round (also run by the timer). */
  async check(now = Date.now()): Promise<void> {
    await Promise.all([...this.entries].map((e) => this.checkOne(e, now)));
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), Math.max(100, Math.floor(this.o.staleAfterMs / 3)));
    this.timer.unref();
  }

  /** The problem of one consumer, or null; `wait`: the adapter is bringing it back itself, within the bound. */
  private diagnose(e: Supervised, now: number): { problem: string; wait: boolean } | null {
    if (!e.current) return { problem: `consumer of ${e.channel} is being re-created`, wait: false };
    const s = e.current.status();
    const since = Math.max(s.lastRoundAt ?? 0, e.subscribedAt);
    const stale = now - since > this.o.staleAfterMs;
    if (!s.attached) return { problem: `consumer of ${e.channel} stopped: ${s.reason ?? 'detached'}`, wait: s.recovering === true && !stale };
    if (stale) {
      return { problem: `consumer of ${e.channel} completed no poll or delivery round for ${Math.round((now - since) / 1000)} s (bound ${this.o.staleAfterMs / 1000} s)`, wait: false };
    }
    return null;
  }

  private async checkOne(e: Supervised, now: number): Promise<void> {
    if (e.recreating) return;
    const found = this.diagnose(e, now);
    if (found === null) {
      // A replacement (or a reconnected consumer) counts as alive once it completed a round of its own.
      const s = e.current?.status();
      if (e.problem && s && (s.lastRoundAt ?? 0) >= e.subscribedAt) {
        this.o.log.info(`${e.key}: consumer of ${e.channel} alive again`);
        e.problem = null;
        e.waiting = false;
      }
      return;
    }
    const { problem, wait } = found;
    if (wait) {
      // Reconnecting by itself (a broker outage): reported, not re-created, while rounds are within the bound.
      if (!e.problem) this.o.log.error(`${e.key}: ${problem}; waiting for it to reconnect (the node is not ready meanwhile)`);
      e.problem = problem;
      e.waiting = true;
      return;
    }
    if (!e.problem || e.waiting) this.o.log.error(`${e.key}: ${problem}; re-creating it (the node is not ready meanwhile)`);
    e.problem = problem;
    e.waiting = false;
    e.recreating = true;
    try {
      const old = e.current;
      e.current = undefined;
      // Bounded: closing a worker whose connection is gone may never finish; the new one must not wait on it.
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([
        old?.({ graceful: false }).catch(() => undefined),
        new Promise<void>((r) => (bound = setTimeout(r, this.o.staleAfterMs).unref())),
      ]);
      clearTimeout(bound);
      if (!this.entries.has(e)) return;
      const next = await this.queue.subscribe(e.channel, e.handler, e.options);
      if (!this.entries.has(e)) {
        await next({ graceful: false });
        return;
      }
      e.current = next;
      e.subscribedAt = Date.now();
    } catch (err) {
      e.problem = `${problem}; re-creating it failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      e.recreating = false;
    }
  }
}
