import { listRecords } from '../../data-api/index.js';
import { dateFieldWindow, type DateFieldScheduleConfig } from '../schedule/index.js';
import { triggerCollection } from '../triggers/collection.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { WorkflowStore } from '../store.js';
import type { RecordsPort, WorkflowRow } from '../types.js';

export interface DateFieldDeps {
  readonly store: WorkflowStore;
  readonly data: RecordsPort;
  readonly aesKey?: Buffer;
  readonly fork: () => EntityManager;
  readonly log: { warn(m: string): void };
  fireOnce(workflow: WorkflowRow, eventKey: string, context: unknown): Promise<void>;
}

/**
 * Schedule mode 1 ("based on a date field"): every tick, each enabled mode-1 workflow looks for the
 * records whose `startsOn.field` (+ offset × unit) fell in the window since the previous look and fires
 * one execution per record with eventKey `<workflowId>:<record key>@<tick ISO>`, unique across the
 * cluster like mode 0's ticks. Only the first tick of each record is fired (`repeat` in mode 1 is not
 * supported yet); ticks that fell while no workflow node ran are not caught up.
 */
export class DateFieldSchedules {
  private readonly since = new Map<number, Date>();
  private warned = new Set<number>();

  constructor(private readonly wf: DateFieldDeps) {}

  async check(now = new Date()): Promise<void> {
    const em = this.wf.fork();
    const workflows = (await this.wf.store.enabled(em)).filter((w) => w.type === 'schedule' && Number(w.config.mode) === 1);
    for (const workflow of workflows) {
      const from = this.since.get(workflow.id) ?? now;
      this.since.set(workflow.id, now);
      if (from.getTime() >= now.getTime()) continue;
      await this.fireWindow(workflow, from, now).catch((err) => this.wf.log.warn(`date-field schedule of workflow ${workflow.id}: ${(err as Error).message}`));
    }
  }

  private async fireWindow(workflow: WorkflowRow, from: Date, to: Date): Promise<void> {
    const config = workflow.config as unknown as DateFieldScheduleConfig;
    if (config.repeat && !this.warned.has(workflow.id)) {
      this.warned.add(workflow.id);
      this.wf.log.warn(`date-field schedule of workflow ${workflow.id}: "repeat" is not supported in mode 1 yet; only the first tick of each record fires`);
    }
    const meta = this.wf.data.collections.get(triggerCollection(workflow.config));
    if (!meta) return;
    const window = dateFieldWindow(config, from, to);
    const shift = window.until.getTime() - to.getTime();
    const filter = { [window.field]: { $gt: window.after.toISOString(), $lte: window.until.toISOString() } };
    const em = this.wf.fork();
    const { data } = await listRecords(em, meta, (n) => this.wf.data.collections.get(n), { filter, appends: config.appends, paginate: false }, this.wf.aesKey);
    for (const record of data) {
      const value = record[window.field];
      const tick = new Date(new Date(value as string).getTime() - shift);
      const eventKey = `${workflow.id}:${String(record[meta.primaryKey])}@${tick.toISOString()}`;
      await this.wf.fireOnce(workflow, eventKey, { data: record, date: tick.toISOString() });
    }
  }
}
