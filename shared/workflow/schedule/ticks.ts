import { CronExpressionParser } from 'cron-parser';
import type { DateFieldRef, DateFieldScheduleConfig, Repeat, StaticScheduleConfig } from './types.js';

const DAY_MS = 86_400_000;
/** Most ticks one `dueTicks` call lists; older ones in the window are dropped (the ticker fires at most the last). */
export const MAX_LISTED_TICKS = 1000;

/** The span a repetition lives in; `start` is the first possible tick, `end` the last (inclusive). */
interface Series {
  start: number;
  end: number;
  repeat: Repeat | undefined;
  timezone: string;
}

const time = (value: string | null | undefined): number | undefined => {
  if (value === undefined || value === null) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
};

function cronFrom(expression: string, after: number, timezone: string) {
  return CronExpressionParser.parse(expression.trim(), { currentDate: new Date(after), tz: timezone });
}

/**
 * Ticks of a series in (from, to], ascending. Cron ticks are read in the series' time zone; an interval
 * series ticks at start + k × repeat (k ≥ 0); no repeat means one tick at start. `allowance` is how many
 * more ticks the limit allows (Infinity without limit): the earliest ones in the window win. When the
 * window holds more than `max`, only the latest `max` are listed.
 */
function seriesTicks(series: Series, from: number, to: number, allowance: number, max: number): Date[] {
  const upper = Math.min(to, series.end);
  const lower = Math.max(from, series.start - 1);
  if (upper <= lower || allowance <= 0) return [];
  const { repeat } = series;
  if (repeat === undefined || repeat === null || repeat === '') {
    return series.start > from && series.start <= upper ? [new Date(series.start)] : [];
  }
  if (typeof repeat === 'number') {
    const first = lower < series.start ? 0 : Math.floor((lower - series.start) / repeat) + 1;
    let last = Math.floor((upper - series.start) / repeat);
    last = Math.min(last, first + allowance - 1);
    const out: Date[] = [];
    for (let k = Math.max(first, last - max + 1); k <= last; k += 1) out.push(new Date(series.start + k * repeat));
    return out;
  }
  const take = Math.min(allowance, max);
  if (Number.isFinite(allowance) && allowance <= max) {
    // With a limit, the earliest ticks count: walk forward.
    const out: Date[] = [];
    const cron = cronFrom(repeat, lower, series.timezone);
    while (out.length < take) {
      const next = cron.next().getTime();
      if (next > upper) break;
      out.push(new Date(next));
    }
    return out;
  }
  // Without a limit, walk back from the end of the window so a long gap costs at most `max` steps.
  const out: Date[] = [];
  const cron = cronFrom(repeat, upper + 1, series.timezone);
  while (out.length < take && cron.hasPrev()) {
    const prev = cron.prev().getTime();
    if (prev <= lower) break;
    out.push(new Date(prev));
  }
  return out.reverse();
}

function staticSeries(config: StaticScheduleConfig): Series | undefined {
  const start = time(config.startsOn);
  if (start === undefined) return undefined;
  return { start, end: time(config.endsOn) ?? Infinity, repeat: config.repeat, timezone: config.timezone || 'UTC' };
}

function allowanceOf(limit: number | null | undefined, firedCount: number): number {
  return limit === undefined || limit === null ? Infinity : Math.max(0, limit - firedCount);
}

/**
 * Mode-0 ticks in (from, to], ascending, honouring startsOn/endsOn and `limit` (counting `firedCount`
 * executions already made). A pure computation: the same inputs give the same ticks on every node.
 */
export function dueTicks(config: StaticScheduleConfig, from: Date, to: Date, firedCount = 0, max = MAX_LISTED_TICKS): Date[] {
  const series = staticSeries(config);
  if (!series) return [];
  return seriesTicks(series, from.getTime(), to.getTime(), allowanceOf(config.limit, firedCount), max);
}

/** The next `count` mode-0 ticks strictly after `after`. */
export function nextTicks(config: StaticScheduleConfig, after: Date, count: number, firedCount = 0): Date[] {
  const series = staticSeries(config);
  if (!series || count <= 0) return [];
  const allowance = Math.min(count, allowanceOf(config.limit, firedCount));
  const { repeat } = series;
  if (typeof repeat === 'string' && repeat !== '') {
    return seriesTicks(series, after.getTime(), Infinity, allowance, count);
  }
  if (typeof repeat === 'number') {
    const horizon = Math.max(after.getTime(), series.start) + repeat * count;
    return seriesTicks(series, after.getTime(), horizon, allowance, count);
  }
  return seriesTicks(series, after.getTime(), Infinity, allowance, count);
}

function fieldTime(record: Record<string, unknown>, ref: DateFieldRef): number | undefined {
  const raw = record[ref.field];
  const base = raw instanceof Date ? raw.getTime() : typeof raw === 'string' || typeof raw === 'number' ? new Date(raw).getTime() : NaN;
  if (Number.isNaN(base)) return undefined;
  return base + (ref.offset ?? 0) * (ref.unit ?? DAY_MS);
}

/** The series one record defines under a mode-1 config (start from its field, end from a field or date). */
export function dateFieldSeries(config: DateFieldScheduleConfig, record: Record<string, unknown>): Series | undefined {
  const start = fieldTime(record, config.startsOn);
  if (start === undefined) return undefined;
  let end = Infinity;
  const endsOn = config.endsOn;
  if (typeof endsOn === 'string') end = Object.hasOwn(record, endsOn) ? (fieldTime(record, { field: endsOn, offset: 0 }) ?? Infinity) : (time(endsOn) ?? Infinity);
  else if (endsOn && typeof endsOn === 'object') end = fieldTime(record, endsOn) ?? Infinity;
  return { start, end, repeat: config.repeat, timezone: config.timezone || 'UTC' };
}

/**
 * Mode 1: the latest tick of this record's schedule in (since, now], or null. The engine queries the
 * records whose field puts a tick in its window (see `dateFieldWindow`) and fires each with
 * eventKey `${workflow.id}:${record id}@${tick}`.
 */
export function dateFieldDue(config: DateFieldScheduleConfig, record: Record<string, unknown>, now: Date, since = new Date(0), firedCount = 0): Date | null {
  const series = dateFieldSeries(config, record);
  if (!series) return null;
  const ticks = seriesTicks(series, since.getTime(), now.getTime(), allowanceOf(config.limit, firedCount), 1);
  return ticks.at(-1) ?? null;
}

/**
 * For a mode-1 config without repeat: the field values whose single tick falls in (from, to], as a
 * half-open range the engine can put in a query (`field > after AND field <= until`).
 */
export function dateFieldWindow(config: DateFieldScheduleConfig, from: Date, to: Date): { field: string; after: Date; until: Date } {
  const shift = (config.startsOn.offset ?? 0) * (config.startsOn.unit ?? DAY_MS);
  return { field: config.startsOn.field, after: new Date(from.getTime() - shift), until: new Date(to.getTime() - shift) };
}

export function scheduleEventKey(workflowId: string | number, tick: Date): string {
  return `${workflowId}@${tick.toISOString()}`;
}
