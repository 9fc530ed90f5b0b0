import type { EntityManager } from '@mikro-orm/postgresql';
import type { WriteHook } from '../../data/index.js';
import type { Logger } from '../../errors/index.js';
import type { LockAdapter } from '../../lock/index.js';
import type { MessageQueue } from '../../queue/index.js';
import type { SyncSignal } from '../../sync/index.js';
import { workflowChannel } from '../constants.js';
import { requestPolicy, type RequestPolicy } from '../request/index.js';
import { WorkflowStore } from '../store.js';
import type { Em, ExecutionObserver, ExecutionRow, FlowDefinition, RecordsPort, WorkflowRow, WorkflowSettings } from '../types.js';
import type { ScheduleFireContext } from '../schedule/index.js';
import { CollectionTriggers, type TriggerOptions } from './collection-triggers.js';
import { WorkflowDefinitions } from './definitions.js';
import { ExecutionProcessor } from './execution-processor.js';
import { Leases } from './lease.js';
import { WorkflowSchedules } from './schedules.js';

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

/**
 * One app's workflows on this node, put together from parts with one responsibility each and
 * explicit dependencies: definitions (cached, dropped on the `workflows` signal), collection triggers
 * (the write hook and manual starts), the execution processor (queue, fenced steps, sweep, cancel) and
 * schedules. Background parts run only after `consume()` (workflow:process nodes).
 */
export class WorkflowApp {
  readonly store: WorkflowStore;
  readonly leases: Leases;
  readonly channel: string;
  readonly definitions: WorkflowDefinitions;
  readonly triggers: CollectionTriggers;
  readonly processor: ExecutionProcessor;
  readonly schedules: WorkflowSchedules;
  /** The app's collections and records (for trigger validation and manual execution). */
  readonly data: RecordsPort;
  private readonly stops: Array<() => Promise<void> | void> = [];

  /** Where this app's request nodes may connect. */
  readonly requestPolicy: RequestPolicy;

  /** Upper bound of an in-request execution (sync workflows, and the wait of a manual execute). */
  get syncTimeoutMs(): number {
    return this.options.settings.syncTimeoutMs;
  }

  private constructor(private readonly options: WorkflowAppOptions) {
    const o = options;
    this.data = o.data;
    this.store = new WorkflowStore(o.schema, o.ids);
    this.requestPolicy = requestPolicy({ allow: o.settings.requestAllow ?? [], ...(o.settings.requestMaxTimeoutMs ? { maxTimeoutMs: o.settings.requestMaxTimeoutMs } : {}) });
    this.leases = new Leases(this.store, o.nodeId, o.settings.leaseMs);
    this.channel = workflowChannel(o.app);
    this.definitions = new WorkflowDefinitions({ store: this.store, sync: o.sync, fork: o.fork });
    const aes = o.aesKey ? { aesKey: o.aesKey } : {};
    const policy = { requestPolicy: this.requestPolicy };
    this.processor = new ExecutionProcessor({
      app: o.app, channel: this.channel, store: this.store, leases: this.leases, definitions: this.definitions, data: o.data, ...aes, ...policy,
      queue: o.queue, sync: o.sync, lock: o.lock, fork: o.fork, settings: o.settings, log: o.log, nodeId: o.nodeId,
    });
    const publish = (id: number) => this.processor.publish(id);
    this.triggers = new CollectionTriggers({ store: this.store, ids: o.ids, definitions: this.definitions, data: o.data, ...aes, ...policy, syncTimeoutMs: o.settings.syncTimeoutMs, publish });
    this.schedules = new WorkflowSchedules({ app: o.app, store: this.store, ids: o.ids, data: o.data, ...aes, fork: o.fork, settings: o.settings, publish, log: o.log });
  }

  static async open(o: WorkflowAppOptions): Promise<WorkflowApp> {
    const wf = new WorkflowApp(o);
    wf.stops.push(...(await wf.definitions.follow()));
    wf.stops.push(await wf.processor.followCancels());
    return wf;
  }

  get app(): string {
    return this.options.app;
  }

  /** A fresh EntityManager of the app's schema. */
  fork(): EntityManager {
    return this.options.fork();
  }

  /** The write hook the app's RecordRepository runs: collection triggers. */
  get hook(): WriteHook {
    return this.triggers.hook;
  }

  /** Executions this node runs now. */
  get running(): Map<number, AbortController> {
    return this.processor.running;
  }

  /** Starts consuming the app's queue, the sweep and the schedules (workflow:process nodes). */
  async consume(observer?: ExecutionObserver): Promise<void> {
    await this.processor.consume(observer);
    this.schedules.start();
  }

  /** Stops consuming (in-flight executions finish their current step or are left to the lease), the sweep and the schedules. */
  async stopConsuming(): Promise<void> {
    await this.schedules.stop();
    await this.processor.stop();
  }

  async close(): Promise<void> {
    await this.stopConsuming();
    for (const stop of this.stops.splice(0).reverse()) await stop();
    this.processor.abortAll(new Error('node stopping'));
  }

  /** Seconds the app's oldest queued execution has waited (0 when none waits). */
  oldestQueuedSeconds(): Promise<number> {
    return this.store.oldestQueuedSeconds(this.fork());
  }

  changed(): Promise<void> {
    return this.definitions.changed();
  }

  enabled(em?: EntityManager): Promise<WorkflowRow[]> {
    return this.definitions.enabled(em);
  }

  definition(em: Em, workflowId: number): Promise<FlowDefinition> {
    return this.definitions.definition(em, workflowId);
  }

  trigger(tx: EntityManager, workflow: WorkflowRow, context: unknown, options: TriggerOptions): Promise<ExecutionRow> {
    return this.triggers.trigger(tx, workflow, context, options);
  }

  publish(executionId: number, delayMs = 0, tag = 'q'): Promise<void> {
    return this.processor.publish(executionId, delayMs, tag);
  }

  process(executionId: number, signal?: AbortSignal): Promise<void> {
    return this.processor.process(executionId, signal);
  }

  sweep(): Promise<number> {
    return this.processor.sweep();
  }

  cancel(em: Em, id: number): Promise<ExecutionRow | null> {
    return this.processor.cancel(em, id);
  }

  fireSchedule(workflow: WorkflowRow, context: ScheduleFireContext): Promise<void> {
    return this.schedules.fireSchedule(workflow, context);
  }

  fireOnce(workflow: WorkflowRow, eventKey: string, context: unknown): Promise<void> {
    return this.schedules.fireOnce(workflow, eventKey, context);
  }
}
