import { cbError } from '../errors/index.js';

/**
 * NocoBase's date filter values (`@nocobase/utils` parseDate semantics, written from its docs and tests):
 * - an instant: ISO text ending in `Z` (or a Date, or epoch milliseconds) → that instant;
 * - a period: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DD HH`, `…HH:mm`, `…HH:mm:ss`, `…HH:mm:ss.SSS`,
 *   `YYYYQn` → [start, end) of that year/month/day/… in the time zone: a `±HH:mm` suffix on the
 *   value, else the request's (X-Timezone), else UTC;
 * - a range: `[a, b]`, `[a, b, '[)']` or the text `[a,b)`;
 * - a relative period `{type: 'today' | 'thisWeek' | 'lastMonth' | 'past' | 'next' …, unit?, number?}`.
 * Returns an ISO instant or `[start, end]` (start inclusive, end exclusive unless `op` says `]`).
 */
export type DateOperand = string | DateRange;
export interface DateRange {
  readonly start: string;
  readonly end: string;
  /** Bounds: `[` / `(` for start, `]` / `)` for end (default `[)`). */
  readonly op: string;
}

const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

/** Minutes east of UTC for `+08:00`, `-0530`, `Z`, `UTC`; undefined when not a fixed offset. */
export function offsetMinutes(tz: string): number | undefined {
  if (tz === 'Z' || tz.toUpperCase() === 'UTC' || tz === 'GMT') return 0;
  const m = OFFSET.exec(tz.trim());
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return minutes > 14 * 60 ? undefined : (m[1] === '-' ? -1 : 1) * minutes;
}

/** The request's time zone (X-Timezone) checked: a fixed offset, or a 400 naming the header. */
export function checkTimezone(tz: unknown): number {
  if (tz === undefined || tz === null || tz === '') return 0;
  const minutes = typeof tz === 'string' ? offsetMinutes(tz) : undefined;
  if (minutes === undefined) throw cbError('CB_ERR_VALIDATION', `X-Timezone must be an offset like +08:00, got ${JSON.stringify(String(tz).slice(0, 40))}`);
  return minutes;
}

type Unit = 'year' | 'quarter' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond';

/** Wall-clock fields in a zone, as a UTC-based Date shifted by the offset (getUTC* read the wall clock). */
const wall = (instant: number, offset: number) => new Date(instant + offset * 60000);
const instantOf = (w: Date, offset: number) => w.getTime() - offset * 60000;

function startOf(w: Date, unit: Unit): Date {
  const d = new Date(w.getTime());
  switch (unit) {
    case 'year':
      d.setUTCMonth(0, 1);
      d.setUTCHours(0, 0, 0, 0);
      break;
    case 'quarter':
      d.setUTCMonth(Math.floor(d.getUTCMonth() / 3) * 3, 1);
      d.setUTCHours(0, 0, 0, 0);
      break;
    case 'month':
      d.setUTCDate(1);
      d.setUTCHours(0, 0, 0, 0);
      break;
    case 'week': // ISO weeks start on Monday, as NocoBase's date ranges
      d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
      d.setUTCHours(0, 0, 0, 0);
      break;
    case 'day':
      d.setUTCHours(0, 0, 0, 0);
      break;
    case 'hour':
      d.setUTCMinutes(0, 0, 0);
      break;
    case 'minute':
      d.setUTCSeconds(0, 0);
      break;
    case 'second':
      d.setUTCMilliseconds(0);
      break;
    case 'millisecond':
      break;
  }
  return d;
}

function add(w: Date, unit: Unit, n: number): Date {
  const d = new Date(w.getTime());
  switch (unit) {
    case 'year':
      d.setUTCFullYear(d.getUTCFullYear() + n);
      break;
    case 'quarter':
      d.setUTCMonth(d.getUTCMonth() + 3 * n);
      break;
    case 'month':
      d.setUTCMonth(d.getUTCMonth() + n);
      break;
    case 'week':
      d.setUTCDate(d.getUTCDate() + 7 * n);
      break;
    case 'day':
      d.setUTCDate(d.getUTCDate() + n);
      break;
    default:
      return new Date(d.getTime() + n * { hour: 3600000, minute: 60000, second: 1000, millisecond: 1 }[unit]);
  }
  return d;
}

const PERIOD = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{3}))?)?)?)?)?)?$/;
const UNITS: Unit[] = ['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond'];

function period(text: string, offset: number): DateRange | undefined {
  const quarter = /^(\d{4})Q([1-4])$/.exec(text);
  let w: Date;
  let unit: Unit;
  if (quarter) {
    w = new Date(Date.UTC(Number(quarter[1]), (Number(quarter[2]) - 1) * 3, 1));
    unit = 'quarter';
  } else {
    const m = PERIOD.exec(text);
    if (!m) return undefined;
    const parts = m.slice(1).map((p) => (p === undefined ? undefined : Number(p)));
    const given = parts.filter((p) => p !== undefined).length;
    const [y, mo = 1, d = 1, h = 0, mi = 0, s = 0, ms = 0] = parts as number[];
    if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y!, mo, 0)).getUTCDate() || h > 23 || mi > 59 || s > 59) return undefined;
    w = new Date(Date.UTC(y!, mo - 1, d, h, mi, s, ms));
    w.setUTCFullYear(y!);
    unit = UNITS[given - 1]!;
  }
  return { start: new Date(instantOf(w, offset)).toISOString(), end: new Date(instantOf(add(w, unit, 1), offset)).toISOString(), op: '[)' };
}

const RELATIVE: Record<string, [Unit, number]> = {
  today: ['day', 0],
  yesterday: ['day', -1],
  tomorrow: ['day', 1],
  thisWeek: ['week', 0],
  lastWeek: ['week', -1],
  nextWeek: ['week', 1],
  thisMonth: ['month', 0],
  lastMonth: ['month', -1],
  nextMonth: ['month', 1],
  thisQuarter: ['quarter', 0],
  lastQuarter: ['quarter', -1],
  nextQuarter: ['quarter', 1],
  thisYear: ['year', 0],
  lastYear: ['year', -1],
  nextYear: ['year', 1],
};

function relative(value: Record<string, unknown>, offset: number, now: number): DateRange | undefined {
  const type = String(value.type);
  const unitName = value.unit === undefined ? 'day' : String(value.unit) === 'isoWeek' ? 'week' : String(value.unit);
  const base = (unit: Unit) => startOf(wall(now, offset), unit);
  const range = (from: Date, to: Date): DateRange => ({ start: new Date(instantOf(from, offset)).toISOString(), end: new Date(instantOf(to, offset)).toISOString(), op: '[)' });
  if (RELATIVE[type]) {
    const [unit, n] = RELATIVE[type]!;
    const from = add(base(unit), unit, n);
    return range(from, add(from, unit, 1));
  }
  if ((type === 'past' || type === 'next') && ['day', 'week', 'month', 'quarter', 'year'].includes(unitName)) {
    const unit = unitName as Unit;
    const number = value.number === undefined ? 1 : Number(value.number);
    if (!Number.isInteger(number) || number < 1 || number > 10000) return undefined;
    // NocoBase: "past N days" ends before the current day starts; "next N days" starts after it ends.
    return type === 'past' ? range(add(base(unit), unit, -number), base(unit)) : range(add(base(unit), unit, 1), add(base(unit), unit, number + 1));
  }
  return undefined;
}

function bad(op: string, field: string, value: unknown): never {
  throw cbError('CB_ERR_VALIDATION', `Operator ${op} on field "${field}" needs a date (YYYY, YYYY-MM, YYYY-MM-DD, an ISO instant, a range [from, to] or {type: "today"…}), got ${JSON.stringify(value)?.slice(0, 60)}`, {
    field,
    operator: op,
  });
}

/**
 * Parses a date filter value. `offset` is the zone for values without their own (minutes east of UTC);
 * `now` is for relative periods.
 */
export function parseDateOperand(value: unknown, offset: number, op: string, field: string, now = Date.now()): DateOperand {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') {
    const d = new Date(value);
    return Number.isFinite(value) && !Number.isNaN(d.getTime()) ? d.toISOString() : bad(op, field, value);
  }
  if (Array.isArray(value)) return between(value, offset, op, field, now);
  if (value !== null && typeof value === 'object' && 'type' in value) {
    const spec = value as Record<string, unknown>;
    const zone = typeof spec.timezone === 'string' ? (offsetMinutes(spec.timezone) ?? offset) : offset;
    return relative(spec, zone, now) ?? bad(op, field, value);
  }
  if (typeof value !== 'string' || value.trim() === '') bad(op, field, value);
  let text = value.trim();
  if (/Z$/i.test(text) && /T|\s/.test(text)) {
    const d = new Date(text);
    return Number.isNaN(d.getTime()) ? bad(op, field, value) : d.toISOString();
  }
  let zone = offset;
  const suffix = /^(.+?)([+-]\d{2}:\d{2})$/.exec(text);
  if (suffix) {
    zone = offsetMinutes(suffix[2]!) ?? bad(op, field, value);
    text = suffix[1]!;
  }
  const ranged = /^([[(])(.+),(.+)([\])])$/.exec(text);
  if (ranged) return between([ranged[2]!.trim(), ranged[3]!.trim(), `${ranged[1]}${ranged[4]}`], zone, op, field, now);
  return period(text, zone) ?? bad(op, field, value);
}

function between(items: unknown[], offset: number, op: string, field: string, now: number): DateRange {
  if (items.length < 2) bad(op, field, items);
  const [from, to, bounds = '[]'] = items;
  if (typeof bounds !== 'string' || !/^[[(][\])]$/.test(bounds)) bad(op, field, items);
  const a = parseDateOperand(from, offset, op, field, now);
  const b = parseDateOperand(to, offset, op, field, now);
  // A period as a bound widens to its start (inclusive) or end (exclusive), as NocoBase.
  const start = typeof a === 'string' ? a : bounds.startsWith('(') ? a.end : a.start;
  const startOp = typeof a === 'string' ? bounds[0]! : '[';
  const end = typeof b === 'string' ? b : bounds.endsWith(')') ? b.start : b.end;
  const endOp = typeof b === 'string' ? bounds[1]! : ')';
  return { start, end, op: `${startOp}${endOp}` };
}
