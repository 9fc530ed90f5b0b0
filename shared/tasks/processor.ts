import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppData } from '../data-api/index.js';
import type { MessageQueue, Unsubscribe } from '../queue/index.js';
import type { SyncSignal } from '../sync/index.js';
import { publishProgress, progressOf } from './progress.js';
import { runExportTask, runImportTask, StopRequested, type RunOutcome } from './run-task.js';
import { removeQuietly, removeStaleUploads, removeTaskFile } from './storage.js';
import { StaleFence, TaskStore } from './task-store.js';
import type { TaskMessage, TaskRow, TasksConfig } from './types.js';
import { isRetryableInfrastructureError, type Logger } from '../errors/index.js';

type Log = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface ProcessorOptions {
  readonly nodeId: string;
  readonly config: TasksConfig;
  readonly storagePath: string;
  readonly queue: MessageQueue;
  readonly sync: SyncSignal;
  readonly schemaOf: (app: string) => string;
  readonly fork: (schema: string) => EntityManager;
  readonly appData: (app: string) => Promise<AppData>;
  readonly aesKey?: Buffer;
  readonly log: Log;
}

/** The queue channel of an app's tasks. */
export function taskChannel(app: string): string {
  return `async-task:process:${app}`;
}

/**
 * Runs queued tasks on an `async-task:process` node: at most ASYNC_TASK_MAX_CONCURRENCY at once
 * (the queue subscription's concurrency). A delivery claims its task with a conditional update
 * (a duplicate or late delivery finds it taken and is acknowledged), renews the lease every third of
 * it, and ends the task with a fenced update. A sweep re-queues tasks whose lease expired (their node
 * died) and removes finished files past the retention.
 */
export class TaskProcessor {
  readonly #o: ProcessorOptions;
  readonly #running = new Map<string, AbortController>();
  readonly #subscriptions = new Map<string, Unsubscribe>();
  #sweepTimer: NodeJS.Timeout | null = null;
  /** Free task slots on this node, shared by every app's channel (ASYNC_TASK_MAX_CONCURRENCY). */
  #slots: number;
  readonly #waiting: Array<() => void> = [];
  #apps: string[] = [];

  constructor(options: ProcessorOptions) {
    this.#o = options;
    this.#slots = options.config.maxConcurrency;
  }

  get runningCount(): number {
    return this.#running.size;
  }

  async start(apps: readonly string[]): Promise<void> {
    for (const app of apps) await this.serveApp(app);
    this.#sweepTimer = setInterval(() => void this.sweep().catch((err) => this.#o.log.warn(`task sweep failed: ${(err as Error).message}`)), this.#o.config.sweepMs);
    this.#sweepTimer.unref();
    void this.sweep().catch(() => undefined);
  }

  /**
   * Stops consuming. Running tasks are not waited for (an export can take minutes): they are aborted
   * and released, and another node takes them over at its next sweep.
   */
  async stop(): Promise<void> {
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.#sweepTimer = null;
    for (const run of this.#running.values()) run.abort(new Abandoned());
    const subscriptions = [...this.#subscriptions.values()];
    this.#subscriptions.clear();
    await Promise.allSettled(subscriptions.map((u) => u()));
  }

  /** Consumes one more app's channel (the supervisor opens sub-applications after start) and sweeps it. */
  async serveApp(app: string): Promise<void> {
    if (this.#apps.includes(app)) return;
    this.#apps.push(app);
    this.#subscriptions.set(
      app,
      await this.#o.queue.subscribe<TaskMessage>(taskChannel(app), (msg, delivery) => this.handle(msg, delivery.signal), { concurrency: this.#o.config.maxConcurrency }),
    );
  }

  /**
   * The app stopped or was destroyed on this node: it leaves the sweep (whose queries would fail on
   * a dropped schema every interval) and its channel; its queued tasks wait there until it is served again.
   */
  async forgetApp(app: string): Promise<void> {
    this.#apps = this.#apps.filter((a) => a !== app);
    const unsubscribe = this.#subscriptions.get(app);
    this.#subscriptions.delete(app);
    await unsubscribe?.();
  }

  /** The apps this processor consumes and sweeps. */
  get apps(): readonly string[] {
    return this.#apps;
  }

  /** A stop broadcast: aborts the run on this node, if it runs here (it ends after the current batch). */
  stopLocal(taskId: string): boolean {
    const run = this.#running.get(taskId);
    run?.abort(new StopRequested());
    return !!run;
  }

  async handle(msg: TaskMessage, delivery?: AbortSignal): Promise<void> {
    if (this.#slots > 0) this.#slots--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      await this.#handle(msg, delivery);
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#slots++;
    }
  }

  async #handle(msg: TaskMessage, delivery?: AbortSignal): Promise<void> {
    const { app, taskId } = msg;
    const store = new TaskStore(this.#o.schemaOf(app));
    const em = () => this.#o.fork(this.#o.schemaOf(app));
    const task = await store.claim(em(), taskId, this.#o.nodeId, this.#o.config.leaseMs);
    if (!task) return; // finished, stopped, or running elsewhere with a live lease
    const fence = Number(task.fence);
    const log = this.#o.log;
    log.info(`task ${taskId} (${task.type}, app ${app}) claimed by ${this.#o.nodeId}, fence ${fence}${task.attempts > 1 ? `, takeover from offset ${task.committedOffset}` : ''}`);
    const controller = new AbortController();
    delivery?.addEventListener('abort', () => controller.abort(new Abandoned()));
    this.#running.set(taskId, controller);
    const renewLease = async () => {
      try {
        const { owned, stopRequested } = await store.renew(em(), taskId, fence, this.#o.config.leaseMs);
        if (!owned) controller.abort(new StaleFence(taskId, fence));
        else if (stopRequested) controller.abort(new StopRequested());
      } catch (err) {
        log.warn(`task ${taskId}: lease renewal failed: ${(err as Error).message}`);
      }
    };
    const renew = setInterval(() => void renewLease(), Math.max(50, Math.floor(this.#o.config.leaseMs / 3)));
    const progress = (current: number, total: number | null) =>
      void publishProgress(this.#o.sync, app, { id: taskId, status: 0, progressCurrent: current, progressTotal: total }).catch(() => undefined);
    let outcome: RunOutcome;
    try {
      const data = await this.#o.appData(app);
      const ctx = { app, em, data, store, storagePath: this.#o.storagePath, batchSize: this.#o.config.batchSize, aesKey: this.#o.aesKey, signal: controller.signal, progress };
      outcome = task.type === 'export' ? await runExportTask(task, fence, ctx) : await runImportTask(task, fence, ctx);
    } catch (err) {
      if (err instanceof StaleFence || controller.signal.reason instanceof StaleFence) {
        log.warn(`task ${taskId}: taken over by another node; this run's uncommitted work is discarded`);
        return;
      }
      if (controller.signal.reason instanceof Abandoned) {
        // This node stops: the lease ends now and another node takes the task over (imports resume).
        log.warn(`task ${taskId}: abandoned (this node is stopping); released for takeover`);
        await store.release(em(), taskId, fence).catch(() => undefined);
        return;
      }
      if (isRetryableInfrastructureError(err)) {
        // Not the task's fault (database/Redis down, no worker ID yet…): released for another attempt,
        // resumed from its last committed batch; if even the release fails, the lease runs out and the sweep takes it over.
        log.warn(`task ${taskId}: interrupted by an infrastructure failure, released for another attempt: ${(err as Error).message}`);
        await store.release(em(), taskId, fence).catch(() => undefined);
        return;
      }
      log.error(`task ${taskId} failed`, err);
      // The task's owner sees catalogue errors as they are; anything else (file system, database) only
      // as an internal error: its message may name server paths or SQL. The full error is in the log above.
      const type = (err as { type?: string }).type;
      const message = type ? (err as Error).message : 'Internal error while running the task (see the node log)';
      outcome = { status: -1, result: { message, code: type ?? 'CB_ERR_INTERNAL', ...committedSoFar(await store.get(em(), taskId)) } };
    } finally {
      clearInterval(renew);
      this.#running.delete(taskId);
    }
    const done = await store.finish(em(), taskId, fence, outcome.status, outcome.result, outcome.filePath);
    if (!done) {
      // The file path is the task's, shared with the runner that took over: it is left alone.
      log.warn(`task ${taskId}: finished, but the task was taken over meanwhile; result discarded`);
      return;
    }
    if (task.type === 'import') await removeQuietly(this.#o.storagePath, task.inputPath);
    log.info(`task ${taskId} ended with status ${outcome.status}`);
    await publishProgress(this.#o.sync, app, progressOf(done)).catch(() => undefined);
  }

  /** Re-queues orphaned running tasks and long-pending ones; removes expired files. Safe on every node at once. */
  async sweep(): Promise<void> {
    for (const app of this.#apps) {
      const store = new TaskStore(this.#o.schemaOf(app));
      const em = this.#o.fork(this.#o.schemaOf(app));
      for (const canceled of await store.cancelOrphanedStops(em)) {
        await removeQuietly(this.#o.storagePath, canceled.inputPath);
        await publishProgress(this.#o.sync, app, progressOf(canceled)).catch(() => undefined);
      }
      // jobIds keep repeated sweeps (on every node) from queueing one takeover many times.
      for (const { id, fence } of await store.orphaned(em, 100)) {
        if (this.#running.has(id)) continue;
        this.#o.log.warn(`task ${id} (app ${app}): its node's lease expired; queued for takeover`);
        await this.#o.queue.publish(taskChannel(app), { app, taskId: id } satisfies TaskMessage, { attempts: 3, jobId: `${id}:takeover:${fence}` });
      }
      for (const id of await store.stalePending(em, Math.max(this.#o.config.sweepMs * 3, 1000), 100)) {
        await this.#o.queue.publish(taskChannel(app), { app, taskId: id } satisfies TaskMessage, { attempts: 3, jobId: `${id}:pending` });
      }
      for (const file of await store.expireFiles(em, this.#o.config.retentionMs, 100)) {
        await removeTaskFile(this.#o.storagePath, file).catch(() => undefined);
      }
    }
    await removeStaleUploads(this.#o.storagePath, this.#o.config.retentionMs);
  }
}

/** The run was given up without an outcome (its node stops, or its delivery was abandoned). */
class Abandoned extends Error {
  constructor() {
    super('the run was abandoned');
    this.name = 'Abandoned';
  }
}

/** For a failed import: what its committed batches wrote (from the checkpoint). */
function committedSoFar(task: TaskRow | undefined): Record<string, unknown> {
  const counts = (task?.checkpoint as { counts?: Record<string, unknown> } | undefined)?.counts;
  return counts ? { committed: counts } : {};
}
