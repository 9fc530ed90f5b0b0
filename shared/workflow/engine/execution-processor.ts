import type { EntityManager } from '@mikro-orm/postgresql';
import { withLock, LockTimeoutError, type LockAdapter } from '../../lock/index.js';
import type { MessageQueue } from '../../queue/index.js';
import type { SyncSignal } from '../../sync/index.js';
import { calculateIsolated } from '../expressions/index.js';
import { CANCEL_CHANNEL, EXECUTION_REASON, EXECUTION_STATUS, JOB_STATUS } from '../constants.js';
import type { Em, ExecutionRow, WorkflowSettings } from '../types.js';
import { StaleLeaseError } from './lease.js';
import { processExecution, type ProcessDeps } from './process-execution.js';

/** What the processor needs beyond what running one execution needs (ProcessDeps). */
export interface ExecutionProcessorDeps
  extends Pick<ProcessDeps, 'app' | 'store' | 'leases' | 'definitions' | 'data' | 'aesKey' | 'requestPolicy' | 'log'> {
  readonly channel: string;
  readonly queue: MessageQueue;
  /** The app's view of the sync signal (cancel reaches the node running an execution). */
  readonly sync: SyncSignal;
  readonly lock: LockAdapter;
  readonly fork: () => EntityManager;
  readonly settings: WorkflowSettings;
}

type Message = { app: string; executionId: number };

/**
 * The queue side of one app's workflows: publishes executions (after their transaction commits),
 * consumes them on workflow:process nodes (claim, fenced steps, resume), re-enqueues stuck ones (the
 * sweep) and cancels them.
 */
export class ExecutionProcessor {
  /** Executions this node runs now, to abort on cancel. */
  readonly running = new Map<number, AbortController>();
  private readonly stops: Array<() => Promise<void> | void> = [];

  constructor(private readonly deps: ExecutionProcessorDeps) {}

  /** Aborts an execution running here when another node cancels it; returns the unsubscriber. */
  async followCancels(): Promise<() => Promise<void> | void> {
    return this.deps.sync.subscribe<{ id?: number }>(CANCEL_CHANNEL, (m) => {
      if (typeof m?.id === 'number') this.running.get(m.id)?.abort(new StaleLeaseError(m.id));
    });
  }

  async publish(executionId: number, delayMs = 0, tag = 'q'): Promise<void> {
    const message: Message = { app: this.deps.app, executionId };
    const jobId = `${executionId}-${tag}`;
    await this.deps.queue.publish(this.deps.channel, message, { attempts: 3, jobId, ...(delayMs > 0 ? { delayMs: Math.ceil(delayMs) } : {}) });
  }

  /** Starts consuming the app's queue and the periodic sweep. */
  async consume(): Promise<void> {
    // Warm the expression sandbox (a worker thread loading the engines, ~1-2 s) now, not inside the
    // first calculation step's transaction, where it could outlast a short lease.
    void calculateIsolated({ engine: 'math.js', expression: '0' }, {}).catch(() => undefined);
    const { settings } = this.deps;
    const stop = await this.deps.queue.subscribe<Message>(this.deps.channel, (m, d) => this.process(Number(m.executionId), d.signal), { concurrency: settings.concurrency });
    this.stops.push(() => stop({ graceful: true, timeoutMs: 10_000 }));
    const timer = setInterval(() => void this.sweep().catch((err) => this.deps.log.warn(`workflow sweep of app ${this.deps.app} failed: ${(err as Error).message}`)), settings.sweepMs);
    timer.unref();
    this.stops.push(() => clearInterval(timer));
  }

  /** Stops consuming (in-flight executions finish their current step or are left to the lease) and the sweep. */
  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop();
  }

  abortAll(reason: Error): void {
    for (const c of this.running.values()) c.abort(reason);
  }

  /** A queue delivery: claim, replay the journal, run the rest under the lease, finish or park. */
  process(executionId: number, signal?: AbortSignal): Promise<void> {
    const d = this.deps;
    return processExecution(
      { app: d.app, store: d.store, leases: d.leases, definitions: d.definitions, data: d.data, ...(d.aesKey ? { aesKey: d.aesKey } : {}), requestPolicy: d.requestPolicy, leaseMs: d.settings.leaseMs, fork: d.fork, running: this.running, publish: (id, delay, tag) => this.publish(id, delay, tag), log: d.log },
      executionId,
      signal,
    );
  }

  /** Re-enqueues stuck executions; one node at a time (a busy lock means another node sweeps now). */
  async sweep(): Promise<number> {
    const { app, settings, log } = this.deps;
    try {
      return await withLock(this.deps.lock, `${app}:workflow-sweep`, async () => {
        const ids = await this.deps.leases.stuck(this.deps.fork(), settings.queueingGraceMs);
        // One new message per execution per window of three grace periods (at least one sweep), so a
        // backlog swept again and again does not multiply its messages.
        const bucket = Math.floor(Date.now() / Math.max(1, settings.sweepMs, 3 * settings.queueingGraceMs));
        // A recently QUEUEING execution goes out under its first jobId: a no-op while that message still
        // waits in a long queue, a new message when the publish after commit was lost. Older ones and
        // expired leases get a new message (theirs may be held by a consumer that died).
        for (const { id, fresh } of ids) await this.publish(id, 0, fresh ? 'q' : `s${bucket}`);
        if (ids.length > 0) log.info(`workflow sweep of app ${app}: re-enqueued ${ids.length} execution(s)`);
        return ids.length;
      }, { ttlMs: Math.max(5_000, settings.sweepMs * 2) });
    } catch (err) {
      if (err instanceof LockTimeoutError) return 0;
      throw err;
    }
  }

  /** `executions:cancel`: ABORTED with reason manual_cancel; the running node stops at its next step. */
  async cancel(em: Em, id: number): Promise<ExecutionRow | null> {
    const statuses = { aborted: EXECUTION_STATUS.ABORTED, reason: EXECUTION_REASON.MANUAL_CANCEL, jobAborted: JOB_STATUS.ABORTED, jobPending: JOB_STATUS.PENDING };
    if (!(await this.deps.store.cancelExecution(em, id, statuses))) return null;
    this.running.get(id)?.abort(new StaleLeaseError(id));
    await this.deps.sync.publish(CANCEL_CHANNEL, { id }).catch(() => undefined);
    return this.deps.store.execution(em, id);
  }
}
