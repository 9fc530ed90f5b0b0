import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../../errors/index.js';
import { ScheduleTicker, type ScheduleFireContext, type ScheduledWorkflow } from '../schedule/index.js';
import type { WorkflowStore } from '../store.js';
import type { RecordsPort, WorkflowRow, WorkflowSettings } from '../types.js';
import { DateFieldSchedules } from './date-field-schedules.js';

export interface SchedulesDeps {
  readonly app: string;
  readonly store: WorkflowStore;
  readonly ids: { next(): number };
  readonly data: RecordsPort;
  readonly aesKey?: Buffer;
  readonly fork: () => EntityManager;
  readonly settings: WorkflowSettings;
  /** Publishes a started execution to the app's queue. */
  publish(executionId: number): Promise<void>;
  readonly log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/**
 * Schedule triggers of one app on workflow:process nodes: mode 0 (cron / interval ticks) and mode 1
 * (a date field of records). Every such node may fire a tick; the execution's unique eventKey lets
 * exactly one insert win across the cluster, and only the winner publishes.
 */
export class WorkflowSchedules {
  private readonly stops: Array<() => Promise<void> | void> = [];

  constructor(private readonly deps: SchedulesDeps) {}

  start(): void {
    const { settings, log } = this.deps;
    const ticker = new ScheduleTicker({
      intervalMs: settings.scheduleTickMs,
      listSchedules: () => this.schedules(),
      fire: (workflow, _tick, context) => this.fireSchedule(workflow.row as WorkflowRow, context),
      logger: { info: (...a) => log.info(a.map(String).join(' ')), warn: (...a) => log.warn(a.map(String).join(' ')), error: (...a) => log.error(a.map(String).join(' ')) },
    });
    ticker.start();
    this.stops.push(() => ticker.stop());
    const dateFields = new DateFieldSchedules({ ...this.deps, fireOnce: (w, key, context) => this.fireOnce(w, key, context) });
    const dateTimer = setInterval(() => void dateFields.check().catch((err) => log.warn(`date-field schedules of app ${this.deps.app}: ${(err as Error).message}`)), settings.scheduleTickMs);
    dateTimer.unref();
    this.stops.push(() => clearInterval(dateTimer));
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop();
  }

  /** Enabled mode-0 schedule workflows, read fresh (their execution counts feed `limit`). */
  private async schedules(): Promise<ScheduledWorkflow[]> {
    const em = this.deps.fork();
    const rows = (await this.deps.store.enabled(em)).filter((w) => w.type === 'schedule' && Number(w.config.mode ?? 0) === 0);
    return (await this.deps.store.withCounts(em, rows)).map((w) => ({ id: w.id, enabled: true, config: w.config as never, executed: w.executed, row: w }));
  }

  /** One schedule tick; its eventKey is `<workflowId>@<tick ISO>`. */
  fireSchedule(workflow: WorkflowRow, context: ScheduleFireContext): Promise<void> {
    return this.fireOnce(workflow, context.eventKey, { date: context.date.toISOString() });
  }

  /** Starts an execution unless one with `eventKey` exists (another node fired the same tick first). */
  async fireOnce(workflow: WorkflowRow, eventKey: string, context: unknown): Promise<void> {
    const execution = await this.deps.fork().transactional((tx) => this.deps.store.insertExecutionOnce(tx, { id: this.deps.ids.next(), workflow, eventKey, context }));
    if (execution) await this.deps.publish(execution.id);
  }
}
