import type { Logger } from '../../errors/index.js';
/** A cron string (5 fields, or 6 with seconds first), an interval in ms, or no repetition. */
export type Repeat = string | number | null;

/** Schedule mode 0 (NocoBase StaticScheduleTrigger): fixed start, optional repetition. */
export interface StaticScheduleConfig {
  mode: 0;
  /** ISO time of the first tick; a workflow without it is never scheduled (as NocoBase). */
  startsOn?: string | null;
  repeat?: Repeat;
  endsOn?: string | null;
  /** Most executions this schedule makes (counted by the engine as the workflow's executed count). */
  limit?: number | null;
  /** IANA zone the cron fields are read in; default UTC. */
  timezone?: string | null;
}

/** A time taken from a record field, shifted by `offset` × `unit` ms (unit default one day). */
export interface DateFieldRef {
  field: string;
  offset?: number;
  unit?: number;
}

/** Schedule mode 1 (NocoBase DateFieldScheduleTrigger): one schedule per record of `collection`. */
export interface DateFieldScheduleConfig {
  mode: 1;
  collection: string;
  startsOn: DateFieldRef;
  endsOn?: string | DateFieldRef | null;
  repeat?: Repeat;
  limit?: number | null;
  appends?: string[];
  timezone?: string | null;
}

export type ScheduleConfig = StaticScheduleConfig | DateFieldScheduleConfig;

/** What the ticker needs to know of a schedule workflow. */
export interface ScheduledWorkflow {
  id: string | number;
  enabled?: boolean;
  config: ScheduleConfig;
  /** Executions already made (NocoBase's `executed`), for `limit`. */
  executed?: number;
  /** Free for the engine (app name, version…); passed back to `fire` untouched. */
  [key: string]: unknown;
}

/** What `fire` receives besides the workflow: the trigger context (`$context.date`) and the dedup key. */
export interface ScheduleFireContext {
  date: Date;
  /** `${workflow.id}@${tick.toISOString()}`: the engine makes the execution unique on it. */
  eventKey: string;
}

export type TickerLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface ScheduleTickerOptions {
  /** How often due ticks are looked for. */
  intervalMs: number;
  listSchedules(): Promise<ScheduledWorkflow[]>;
  fire(workflow: ScheduledWorkflow, tick: Date, context: ScheduleFireContext): Promise<void>;
  logger: TickerLogger;
  /** When more ticks than this were missed (node down, long pause), only the last one fires. Default 3. */
  maxCatchUp?: number;
  /** Clock, for tests. */
  now?: () => Date;
}
