import { UnrecoverableError, WaitingError, type Job, type Worker } from 'bullmq';
import type { ConsumerStatus, MessageHandler } from './types.js';
import { EnvelopeError, parseEnvelope } from './envelope.js';
import { InFlight } from './in-flight.js';
import { errorText } from './queue-errors.js';
import type { ResolvedCommon } from './validate.js';

/** Longest a stop waits for a BullMQ worker's close once its deliveries were handed back. */
const CLOSE_BOUND_MS = 5_000;

/** One BullMQ worker's view: runs the handler per job, and stops gracefully or by force. */
export class RedisSubscription {
  private worker: Worker | undefined;
  private readonly inFlight = new InFlight();
  /** Running processor calls; a forced stop lets abandoned ones return their job before closing the worker. */
  private readonly processing = new Set<Promise<unknown>>();
  private stopping: Promise<void> | undefined;
  private lastRoundAt: number | null = null;
  private probe: NodeJS.Timeout | undefined;

  constructor(
    private readonly channel: string,
    private readonly handler: MessageHandler,
    private readonly options: ResolvedCommon,
    private readonly onStopped: () => void,
    /** A round trip on the workers' Redis connection. */
    private readonly ping: () => Promise<unknown>,
  ) {}

  /**
   * Rounds: every poll of the worker loop that came back (BullMQ's _getNextJob, a job or a timed-out
   * block of `drainDelay`), every settled job, and, while handlers run (a saturated worker does not
   * poll), a PING on the workers' connection every `consumerProbeMs`.
   */
  attach(worker: Worker): void {
    this.worker = worker;
    const stamp = () => (this.lastRoundAt = Date.now());
    const w = worker as unknown as { _getNextJob?: (...args: unknown[]) => Promise<unknown> };
    const poll = w._getNextJob;
    if (typeof poll === 'function') {
      w._getNextJob = async (...args: unknown[]) => {
        const job = await poll.apply(worker, args);
        stamp();
        return job;
      };
    }
    worker.on('completed', stamp);
    worker.on('failed', stamp);
    this.probe = setInterval(() => {
      if (this.inFlight.size === 0 || !worker.isRunning()) return;
      void this.ping().then(stamp, () => undefined);
    }, this.options.consumerProbeMs);
    this.probe.unref();
  }

  get channelName(): string {
    return this.channel;
  }

  /** Test hook: the worker stops without this subscription knowing. */
  async severForTest(): Promise<void> {
    await this.worker?.close(true);
  }

  status(): ConsumerStatus {
    const w = this.worker;
    const attached = !this.stopping && !!w && w.isRunning() && !w.closing;
    const reason = this.stopping ? 'unsubscribed' : !w ? 'no worker yet' : w.closing ? 'its BullMQ worker was closed' : 'its BullMQ worker loop is not running';
    return { channel: this.channel, attached, lastRoundAt: this.lastRoundAt, ...(attached ? {} : { reason }) };
  }

  /**
   * BullMQ processor (three declared parameters, so BullMQ passes its lock-loss signal). A delivery we
   * abandon (forced stop, close timeout) is moved back to wait at once and BullMQ is told so with a
   * WaitingError, which costs no attempt. Deliveries that ended without an outcome, ours or stalled
   * ones, are counted as attemptsStarted - attemptsMade - 1; past `redeliveryLimit` the job fails.
   */
  process(job: Job, token: string | undefined, lockSignal: AbortSignal | undefined): Promise<void> {
    const p = this.run(job, token, lockSignal);
    this.processing.add(p);
    const forget = () => this.processing.delete(p);
    p.then(forget, forget);
    return p;
  }

  private async run(job: Job, token: string | undefined, lockSignal: AbortSignal | undefined): Promise<void> {
    let body: unknown;
    let id: string;
    try {
      const env = parseEnvelope(job.data);
      body = env.body;
      id = env.id;
    } catch (err) {
      throw new UnrecoverableError(err instanceof EnvelopeError ? err.message : errorText(err));
    }
    const redeliveries = (job.attemptsStarted || 1) - 1 - job.attemptsMade;
    if (redeliveries > this.options.redeliveryLimit) {
      throw new UnrecoverableError(`delivered ${redeliveries + 1} times without an outcome (redelivery limit ${this.options.redeliveryLimit})`);
    }
    const delivery = this.inFlight.start();
    let lockLost = false;
    const onLockLost = () => {
      lockLost = true;
      delivery.abandon('the message lock was lost; it will be delivered again');
    };
    lockSignal?.addEventListener('abort', onLockLost, { once: true });
    const handling = Promise.resolve().then(() => this.handler(body, { attempt: job.attemptsMade + 1, id, signal: delivery.signal }));
    handling.catch(() => undefined); // an abandoned handler's late failure is nobody's business
    const abandoned = new Promise<'abandoned'>((resolve) => {
      if (delivery.signal.aborted) resolve('abandoned');
      else delivery.signal.addEventListener('abort', () => resolve('abandoned'), { once: true });
    });
    try {
      const outcome = await Promise.race([handling.then(() => 'done' as const), abandoned]);
      if (outcome === 'abandoned') {
        if (!lockLost && token) {
          await job.moveToWait(token).catch((err: unknown) => this.options.logger?.warn('queue could not return a message:', errorText(err)));
        }
        throw new WaitingError();
      }
    } catch (err) {
      // BullMQ records the message of what we throw as the job's failedReason.
      throw err instanceof Error ? err : new Error(errorText(err));
    } finally {
      lockSignal?.removeEventListener('abort', onLockLost);
      delivery.finish();
    }
  }

  /**
   * Waits for a worker's close at most CLOSE_BOUND_MS: a worker whose connection is gone may never
   * finish closing, and neither a node's shutdown nor the re-creation of its consumer may wait on it
   * (the queue's close disconnects the shared clients afterwards, which ends it).
   */
  private async bounded(closing: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      closing.then(() => true, () => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), CLOSE_BOUND_MS).unref())),
    ]);
    clearTimeout(timer);
    if (!done) this.options.logger?.warn(`queue worker of ${this.channel} did not finish closing within ${CLOSE_BOUND_MS} ms; left to its connection's end`);
  }

  stop(graceful: boolean, timeoutMs: number | undefined): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.probe);
      const worker = this.worker;
      if (!worker) return;
      const log = (err: unknown) => this.options.logger?.warn('queue worker close failed:', errorText(err));
      if (graceful) {
        const closing = worker.close(false);
        closing.catch(log);
        const finished = await Promise.race([
          closing.then(() => true, () => true),
          ...(timeoutMs === undefined ? [] : [new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref())]),
        ]);
        if (!finished) {
          // Past the bound: abandoned deliveries return to wait, which lets the worker's close finish.
          this.inFlight.abandonAll('close timed out');
          await this.bounded(closing);
        }
      } else {
        // close() first: a closing worker does not fetch the returned jobs straight back.
        const closing = worker.close(true);
        closing.catch(log);
        this.inFlight.abandonAll('subscription closed');
        await Promise.allSettled([...this.processing]);
        await this.bounded(closing);
      }
      this.onStopped();
    })();
    return this.stopping;
  }
}
