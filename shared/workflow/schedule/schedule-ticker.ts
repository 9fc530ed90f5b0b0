import { MAX_LISTED_TICKS, dueTicks, scheduleEventKey } from './ticks.js';
import type { ScheduledWorkflow, ScheduleTickerOptions, StaticScheduleConfig } from './types.js';

/**
 * Fires mode-0 schedules. Every `intervalMs` it lists the schedules, computes each one's ticks in
 * (previous check, now] and calls `fire` with eventKey `${workflow.id}@${tick}`. Every node running a
 * ticker fires the same ticks with the same keys; the engine makes the execution unique on the key, so
 * a cluster fires each tick once. After a long gap (node down, event loop stalled) at most `maxCatchUp`
 * ticks per schedule fire; beyond that only the last one does, and the skip is logged.
 *
 * A schedule seen for the first time only fires ticks after the check before it appeared, never its
 * past. A failed `fire` is retried at the next check.
 */
export class ScheduleTicker {
  private readonly options: Required<Omit<ScheduleTickerOptions, 'now'>> & { now: () => Date };
  private timer: NodeJS.Timeout | undefined;
  private lastCheck: Date | undefined;
  private running: Promise<void> | undefined;
  private retries = new Map<string, { workflowId: string | number; tick: Date }>();

  constructor(options: ScheduleTickerOptions) {
    this.options = { maxCatchUp: 3, now: () => new Date(), ...options };
  }

  /** Starts checking; the first window opens now. */
  start(): void {
    if (this.timer) return;
    this.lastCheck ??= this.options.now();
    this.timer = setInterval(() => void this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops checking and waits for a check in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One check now (also what the timer runs); concurrent calls share the running check. */
  check(): Promise<void> {
    this.running ??= this.runCheck().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runCheck(): Promise<void> {
    const now = this.options.now();
    const from = this.lastCheck ?? now;
    let schedules: ScheduledWorkflow[];
    try {
      schedules = await this.options.listSchedules();
    } catch (error) {
      // The window stays open: the next check covers these ticks too.
      this.options.logger.error(`schedule ticker could not list schedules (the window stays open): ${String(error)}`);
      return;
    }
    this.lastCheck = now;
    for (const workflow of schedules) {
      if (workflow.enabled === false || workflow.config?.mode !== 0) continue;
      await this.fireDue(workflow, from, now);
    }
  }

  private async fireDue(workflow: ScheduledWorkflow, from: Date, now: Date): Promise<void> {
    const config = workflow.config as StaticScheduleConfig;
    const { maxCatchUp, logger } = this.options;
    let ticks = dueTicks(config, from, now, workflow.executed ?? 0);
    if (ticks.length > maxCatchUp) {
      const missed = `${ticks.length >= MAX_LISTED_TICKS ? 'at least ' : ''}${ticks.length - 1}`;
      logger.warn(`schedule of workflow ${workflow.id} missed ${missed} ticks; firing only the last (${ticks.at(-1)?.toISOString()})`);
      ticks = ticks.slice(-1);
    }
    const retry = [...this.retries.values()].filter((entry) => entry.workflowId === workflow.id).map((entry) => entry.tick);
    for (const tick of [...retry, ...ticks]) {
      const eventKey = scheduleEventKey(workflow.id, tick);
      try {
        await this.options.fire(workflow, tick, { date: tick, eventKey });
        this.retries.delete(eventKey);
      } catch (error) {
        if (this.retries.has(eventKey)) {
          this.retries.delete(eventKey);
          logger.error(`schedule tick ${eventKey} could not be fired; giving up: ${String(error)}`);
        } else {
          this.retries.set(eventKey, { workflowId: workflow.id, tick });
          logger.warn(`schedule tick ${eventKey} could not be fired; retrying at the next check: ${String(error)}`);
        }
      }
    }
  }
}
