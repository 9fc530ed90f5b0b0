import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { WriteEvent, WriteHook } from '../../data/index.js';
import { cbError, type Logger } from '../../errors/index.js';
import { withLock, LockTimeoutError, type LockAdapter } from '../../lock/index.js';
import type { MessageQueue } from '../../queue/index.js';
import type { SyncSignal } from '../../sync/index.js';
import { calculateIsolated } from '../expressions/index.js';
import { CANCEL_CHANNEL, EXECUTION_REASON, EXECUTION_STATUS, JOB_STATUS, SYNC_CHANNEL, workflowChannel } from '../constants.js';
import { requestPolicy, type RequestPolicy } from '../request/index.js';
import { WorkflowStore } from '../store.js';
import { contextsFor, firesOn } from '../triggers/collection.js';
import type { Em, ExecutionRow, FlowDefinition, RecordsPort, WorkflowRow, WorkflowSettings } from '../types.js';
import { ScheduleTicker, type ScheduleFireContext, type ScheduledWorkflow } from '../schedule/index.js';
import { DateFieldSchedules } from './date-field-schedules.js';
import { Leases, StaleLeaseError } from './lease.js';
import { processExecution } from './process-execution.js';
import { runSync } from './run-sync.js';

export interface WorkflowAppOptions {
  readonly app: string;
  readonly schema: string;
  readonly ids: { next(): number };
  readonly data: RecordsPort;
  readonly aesKey?: Buffer;
  readonly queue: MessageQueue;
  /** The app's view of the sync signal. */
  readonly sync: SyncSignal;
  readonly lock: LockAdapter;
  readonly fork: () => EntityManager;
  readonly settings: WorkflowSettings;
  /** This node's id: the lease owner of executions it runs. */
  readonly nodeId: string;
  readonly log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

type Message = { app: string; executionId: number };

/**
 * One app's workflows on this node: triggers (a write hook on the app's records), the queue side
 * (publish after commit; consume on workflow:process nodes), the fenced execution of steps, the sweep,
 * cancel and sync runs. Definitions of enabled workflows are cached and dropped on the `workflows`
 * sync signal, which every change of a workflow or node publishes.
 */
export class WorkflowApp {
  readonly store: WorkflowStore;
  readonly leases: Leases;
  private enabledCache: Promise<WorkflowRow[]> | null = null;
  /** Bumped by every invalidation, so a load that began before it is not cached. */
  private generation = 0;
  /** Definitions of workflows that have run are immutable: cached by id. */
  private readonly definitions = new Map<number, FlowDefinition>();
  /** Executions this node runs now, to abort on cancel. */
  readonly running = new Map<number, AbortController>();
  private readonly stops: Array<() => Promise<void> | void> = [];
  private readonly consumerStops: Array<() => Promise<void> | void> = [];
  readonly channel: string;

  /** Where this app's request nodes may connect. */
  readonly requestPolicy: RequestPolicy;

  private constructor(readonly o: WorkflowAppOptions) {
    this.store = new WorkflowStore(o.schema, o.ids);
    this.requestPolicy = requestPolicy({ allow: o.settings.requestAllow ?? [], ...(o.settings.requestMaxTimeoutMs ? { maxTimeoutMs: o.settings.requestMaxTimeoutMs } : {}) });
    this.leases = new Leases(this.store, o.nodeId, o.settings.leaseMs);
    this.channel = workflowChannel(o.app);
  }

  static async open(o: WorkflowAppOptions): Promise<WorkflowApp> {
    const wf = new WorkflowApp(o);
    wf.stops.push(await o.sync.subscribe(SYNC_CHANNEL, () => wf.forget()));
    wf.stops.push(o.sync.onResync(() => wf.forget()));
    wf.stops.push(
      await o.sync.subscribe<{ id?: number }>(CANCEL_CHANNEL, (m) => {
        if (typeof m?.id === 'number') wf.running.get(m.id)?.abort(new StaleLeaseError(m.id));
      }),
    );
    return wf;
  }

  /** Stops consuming (in-flight executions finish their current step or are left to the lease) and the sweep. */
  async stopConsuming(): Promise<void> {
    for (const stop of this.consumerStops.splice(0).reverse()) await stop();
  }

  async close(): Promise<void> {
    await this.stopConsuming();
    for (const stop of this.stops.splice(0).reverse()) await stop();
    for (const c of this.running.values()) c.abort(new Error('node stopping'));
  }

  /** The write hook the app's RecordRepository runs: collection triggers. */
  readonly hook: WriteHook = { onWrite: (tx, event) => this.onWrite(tx, event) };

  private forget(): void {
    this.generation += 1;
    this.enabledCache = null;
  }

  /** Definitions changed here: drop the local cache and tell every other node. */
  async changed(): Promise<void> {
    this.forget();
    await this.o.sync.publish(SYNC_CHANNEL, { at: Date.now() });
  }

  /**
   * Enabled workflows, cached until a `workflows` signal. A write's hook passes its own transaction:
   * loading through another pooled connection while holding one could exhaust the pool under load.
   */
  async enabled(em?: EntityManager): Promise<WorkflowRow[]> {
    if (this.enabledCache) return this.enabledCache;
    const loading = this.store.enabled(em ?? this.o.fork());
    const generation = ++this.generation;
    const rows = await loading;
    if (generation === this.generation && !this.enabledCache) this.enabledCache = Promise.resolve(rows);
    return rows;
  }

  async definition(em: Em, workflowId: number): Promise<FlowDefinition> {
    const cached = this.definitions.get(workflowId);
    if (cached) return cached;
    const def = await this.store.definition(em, workflowId);
    if (!def) throw cbError('CB_ERR_WORKFLOW_NOT_FOUND');
    if (def.workflow.executed > 0) this.definitions.set(workflowId, def);
    return def;
  }

  private async onWrite(tx: EntityManager, event: WriteEvent): Promise<void> {
    if (!event.triggerWorkflows) return;
    const workflows = (await this.enabled(tx)).filter((w) => firesOn(w, event));
    for (const workflow of workflows) {
      for (const context of await contextsFor(tx, workflow, event, this.o.data, this.o.aesKey)) {
        await this.trigger(tx, workflow, context, { after: (fn) => event.afterCommit(fn) });
      }
    }
  }

  /**
   * Starts an execution of `workflow` with `context` inside `tx`. Async: the QUEUEING row commits with
   * `tx`, its id is published after commit. Sync: it runs here, inside `tx`, bounded by the sync timeout,
   * and a result other than RESOLVED rejects (rolls back) the caller's write.
   */
  async trigger(
    tx: EntityManager,
    workflow: WorkflowRow,
    context: unknown,
    options: { after: (fn: () => Promise<void>) => void; manually?: boolean; eventKey?: string; rejectOnFailure?: boolean },
  ): Promise<ExecutionRow> {
    const execution = await this.store.insertExecution(tx, {
      id: this.o.ids.next(),
      workflow,
      eventKey: options.eventKey ?? randomUUID(),
      context,
      ...(options.manually ? { manually: true } : {}),
    });
    if (workflow.sync) {
      const status = await runSync(this, tx, execution, options.after);
      if (status !== EXECUTION_STATUS.RESOLVED && options.rejectOnFailure !== false) {
        throw cbError('CB_ERR_WORKFLOW_REJECTED', `Workflow "${workflow.title ?? workflow.key}" rejected the request (execution status ${status})`, { executionId: execution.id, status });
      }
      return { ...execution, status };
    }
    options.after(() => this.publish(execution.id));
    return execution;
  }

  async publish(executionId: number, delayMs = 0, tag = 'q'): Promise<void> {
    const message: Message = { app: this.o.app, executionId };
    const jobId = `${executionId}-${tag}`;
    await this.o.queue.publish(this.channel, message, { attempts: 3, jobId, ...(delayMs > 0 ? { delayMs: Math.ceil(delayMs) } : {}) });
  }


  /** Starts consuming the app's queue (workflow:process nodes) and the periodic sweep. */
  async consume(): Promise<void> {
    // Warm the expression sandbox (a worker thread loading the engines, ~1-2 s) now, not inside the
    // first calculation step's transaction, where it could outlast a short lease.
    void calculateIsolated({ engine: 'math.js', expression: '0' }, {}).catch(() => undefined);
    const stop = await this.o.queue.subscribe<Message>(this.channel, (m, d) => this.process(Number(m.executionId), d.signal), { concurrency: this.o.settings.concurrency });
    this.consumerStops.push(() => stop({ graceful: true, timeoutMs: 10_000 }));
    const ticker = new ScheduleTicker({
      intervalMs: this.o.settings.scheduleTickMs,
      listSchedules: () => this.schedules(),
      fire: (workflow, _tick, context) => this.fireSchedule(workflow.row as WorkflowRow, context),
      logger: { info: (...a) => this.o.log.info(a.map(String).join(' ')), warn: (...a) => this.o.log.warn(a.map(String).join(' ')), error: (...a) => this.o.log.error(a.map(String).join(' ')) },
    });
    ticker.start();
    this.consumerStops.push(() => ticker.stop());
    const dateFields = new DateFieldSchedules(this);
    const dateTimer = setInterval(() => void dateFields.check().catch((err) => this.o.log.warn(`date-field schedules of app ${this.o.app}: ${(err as Error).message}`)), this.o.settings.scheduleTickMs);
    dateTimer.unref();
    this.consumerStops.push(() => clearInterval(dateTimer));
    const timer = setInterval(() => void this.sweep().catch((err) => this.o.log.warn(`workflow sweep of app ${this.o.app} failed: ${(err as Error).message}`)), this.o.settings.sweepMs);
    timer.unref();
    this.consumerStops.push(() => clearInterval(timer));
  }

  /** Enabled mode-0 schedule workflows, read fresh (their execution counts feed `limit`). */
  private async schedules(): Promise<ScheduledWorkflow[]> {
    const em = this.o.fork();
    const rows = (await this.store.enabled(em)).filter((w) => w.type === 'schedule' && Number(w.config.mode ?? 0) === 0);
    return (await this.store.withCounts(em, rows)).map((w) => ({ id: w.id, enabled: true, config: w.config as never, executed: w.executed, row: w }));
  }

  /**
   * One schedule tick: every workflow:process node may fire it; the execution's unique eventKey
   * (`<workflowId>@<tick ISO>`) lets exactly one insert win, and only the winner publishes.
   */
  fireSchedule(workflow: WorkflowRow, context: ScheduleFireContext): Promise<void> {
    return this.fireOnce(workflow, context.eventKey, { date: context.date.toISOString() });
  }

  /** Starts an execution unless one with `eventKey` exists (another node fired the same tick first). */
  async fireOnce(workflow: WorkflowRow, eventKey: string, context: unknown): Promise<void> {
    const execution = await this.o.fork().transactional((tx) => this.store.insertExecutionOnce(tx, { id: this.o.ids.next(), workflow, eventKey, context }));
    if (execution) await this.publish(execution.id);
  }

  /** A queue delivery: claim, replay the journal, run the rest under the lease, finish or park. */
  process(executionId: number, signal?: AbortSignal): Promise<void> {
    return processExecution(this, executionId, signal);
  }

  /** Re-enqueues stuck executions; one node at a time (a busy lock means another node sweeps now). */
  async sweep(): Promise<number> {
    try {
      return await withLock(this.o.lock, `${this.o.app}:workflow-sweep`, async () => {
        const ids = await this.leases.stuck(this.o.fork(), this.o.settings.queueingGraceMs);
        // One new message per execution per window of three grace periods (at least one sweep), so a
        // backlog swept again and again does not multiply its messages.
        const bucket = Math.floor(Date.now() / Math.max(1, this.o.settings.sweepMs, 3 * this.o.settings.queueingGraceMs));
        // A recently QUEUEING execution goes out under its first jobId: a no-op while that message still
        // waits in a long queue, a new message when the publish after commit was lost. Older ones and
        // expired leases get a new message (theirs may be held by a consumer that died).
        for (const { id, fresh } of ids) await this.publish(id, 0, fresh ? 'q' : `s${bucket}`);
        if (ids.length > 0) this.o.log.info(`workflow sweep of app ${this.o.app}: re-enqueued ${ids.length} execution(s)`);
        return ids.length;
      }, { ttlMs: Math.max(5_000, this.o.settings.sweepMs * 2) });
    } catch (err) {
      if (err instanceof LockTimeoutError) return 0;
      throw err;
    }
  }


  /** `executions:cancel`: ABORTED with reason manual_cancel; the running node stops at its next step. */
  async cancel(em: Em, id: number): Promise<ExecutionRow | null> {
    const statuses = { aborted: EXECUTION_STATUS.ABORTED, reason: EXECUTION_REASON.MANUAL_CANCEL, jobAborted: JOB_STATUS.ABORTED, jobPending: JOB_STATUS.PENDING };
    if (!(await this.store.cancelExecution(em, id, statuses))) return null;
    this.running.get(id)?.abort(new StaleLeaseError(id));
    await this.o.sync.publish(CANCEL_CHANNEL, { id }).catch(() => undefined);
    return this.store.execution(em, id);
  }
}
