import { dateFieldDue, dateFieldWindow, dueTicks, nextTicks, scheduleEventKey, type StaticScheduleConfig } from '../index.js';

const d = (iso: string) => new Date(iso);
const iso = (dates: Date[]) => dates.map((date) => date.toISOString());

describe('nextTicks', () => {
  it('follows a 6-field cron (seconds first) from startsOn', () => {
    const config: StaticScheduleConfig = { mode: 0, startsOn: '2026-11-22T00:00:00.000Z', repeat: '0 0 2 * * *' };
    expect(iso(nextTicks(config, d('2026-11-20T00:00:00Z'), 2))).toEqual(['2026-11-22T02:00:00.000Z', '2026-11-23T02:00:00.000Z']);
    expect(iso(nextTicks(config, d('2026-11-22T02:00:00Z'), 1))).toEqual(['2026-11-23T02:00:00.000Z']);
  });

  it('reads a 5-field cron in the configured time zone', () => {
    const config: StaticScheduleConfig = { mode: 0, startsOn: '2026-07-01T00:00:00.000Z', repeat: '30 9 * * *', timezone: 'Europe/Paris' };
    expect(iso(nextTicks(config, d('2026-07-01T00:00:00Z'), 1))).toEqual(['2026-07-01T07:30:00.000Z']);
    expect(iso(nextTicks({ ...config, timezone: undefined }, d('2026-07-01T00:00:00Z'), 1))).toEqual(['2026-07-01T09:30:00.000Z']);
  });

  it('repeats an interval from startsOn and stops at limit and endsOn', () => {
    const config: StaticScheduleConfig = { mode: 0, startsOn: '2026-11-22T09:00:00.000Z', repeat: 600000, limit: 5 };
    expect(iso(nextTicks(config, d('2026-11-22T00:00:00Z'), 10))).toEqual([
      '2026-11-22T09:00:00.000Z', '2026-11-22T09:10:00.000Z', '2026-11-22T09:20:00.000Z', '2026-11-22T09:30:00.000Z', '2026-11-22T09:40:00.000Z',
    ]);
    expect(iso(nextTicks(config, d('2026-11-22T09:05:00Z'), 2, 1))).toEqual(['2026-11-22T09:10:00.000Z', '2026-11-22T09:20:00.000Z']);
    expect(nextTicks(config, d('2026-11-22T00:00:00Z'), 3, 5)).toEqual([]);
    const ending = { ...config, limit: null, endsOn: '2026-11-22T09:15:00.000Z' };
    expect(iso(nextTicks(ending, d('2026-11-22T00:00:00Z'), 10))).toEqual(['2026-11-22T09:00:00.000Z', '2026-11-22T09:10:00.000Z']);
  });

  it('fires once at startsOn without repeat, and never without startsOn', () => {
    expect(iso(nextTicks({ mode: 0, startsOn: '2026-11-22T09:00:00.000Z' }, d('2026-11-22T00:00:00Z'), 3))).toEqual(['2026-11-22T09:00:00.000Z']);
    expect(nextTicks({ mode: 0, startsOn: '2026-11-22T09:00:00.000Z' }, d('2026-11-22T09:00:00Z'), 3)).toEqual([]);
    expect(nextTicks({ mode: 0, repeat: 1000 }, d('2026-11-22T00:00:00Z'), 3)).toEqual([]);
  });
});

describe('dueTicks', () => {
  const everySecond: StaticScheduleConfig = { mode: 0, startsOn: '2026-11-22T00:00:00.000Z', repeat: '* * * * * *' };

  it('lists the ticks in (from, to]', () => {
    expect(iso(dueTicks(everySecond, d('2026-11-22T00:00:01Z'), d('2026-11-22T00:00:03Z')))).toEqual(['2026-11-22T00:00:02.000Z', '2026-11-22T00:00:03.000Z']);
    expect(dueTicks(everySecond, d('2026-11-22T00:00:01.100Z'), d('2026-11-22T00:00:01.900Z'))).toEqual([]);
  });

  it('gives adjacent windows every tick exactly once', () => {
    const seen: string[] = [];
    for (let ms = 0; ms < 10_000; ms += 370) {
      seen.push(...iso(dueTicks(everySecond, new Date(Date.parse('2026-11-22T00:00:00Z') + ms), new Date(Date.parse('2026-11-22T00:00:00Z') + ms + 370))));
    }
    expect(seen).toHaveLength(new Set(seen).size);
    expect(seen).toHaveLength(10);
  });

  it('lists only the latest ticks of a long gap, cheaply', () => {
    const ticks = dueTicks(everySecond, d('2026-11-22T00:00:00Z'), d('2026-12-22T00:00:00Z'), 0, 5);
    expect(iso(ticks)).toEqual(['2026-12-21T23:59:56.000Z', '2026-12-21T23:59:57.000Z', '2026-12-21T23:59:58.000Z', '2026-12-21T23:59:59.000Z', '2026-12-22T00:00:00.000Z']);
    const interval = dueTicks({ mode: 0, startsOn: '2026-01-01T00:00:00.000Z', repeat: 1000 }, d('2026-01-01T00:00:00Z'), d('2026-12-01T00:00:00Z'), 0, 2);
    expect(iso(interval)).toEqual(['2026-11-30T23:59:59.000Z', '2026-12-01T00:00:00.000Z']);
  });

  it('lets the earliest ticks of the window use the rest of the limit', () => {
    const limited = { ...everySecond, limit: 3 };
    expect(iso(dueTicks(limited, d('2026-11-22T00:00:00Z'), d('2026-11-22T01:00:00Z'), 1))).toEqual(['2026-11-22T00:00:01.000Z', '2026-11-22T00:00:02.000Z']);
  });

  it('names each tick with a cluster-wide event key', () => {
    expect(scheduleEventKey(42, d('2026-11-22T02:00:00Z'))).toBe('42@2026-11-22T02:00:00.000Z');
  });
});

describe('dateFieldDue', () => {
  const config = { mode: 1 as const, collection: 'products', startsOn: { field: 'createdAt', offset: 1, unit: 86_400_000 }, repeat: null };
  const record = { id: 1, createdAt: '2026-11-22T08:49:49.200Z' };

  it('is due one day after createdAt, once', () => {
    expect(dateFieldDue(config, record, d('2026-11-23T08:49:49.000Z'))).toBeNull();
    expect(dateFieldDue(config, record, d('2026-11-23T09:00:00.000Z'))?.toISOString()).toBe('2026-11-23T08:49:49.200Z');
    expect(dateFieldDue(config, record, d('2026-11-24T09:00:00.000Z'), d('2026-11-23T09:00:00.000Z'))).toBeNull();
    expect(dateFieldDue(config, { id: 2, createdAt: null }, d('2030-01-01T00:00:00Z'))).toBeNull();
  });

  it('repeats from the field time until endsOn', () => {
    const repeating = { ...config, startsOn: { field: 'createdAt', offset: 0 }, repeat: 3_600_000, endsOn: { field: 'createdAt', offset: 2, unit: 3_600_000 } };
    expect(dateFieldDue(repeating, record, d('2026-11-22T10:00:00.000Z'))?.toISOString()).toBe('2026-11-22T09:49:49.200Z');
    expect(dateFieldDue(repeating, record, d('2026-11-23T00:00:00.000Z'))?.toISOString()).toBe('2026-11-22T10:49:49.200Z');
  });

  it('gives the field range for a query', () => {
    expect(dateFieldWindow(config, d('2026-11-23T09:00:00Z'), d('2026-11-23T09:01:00Z'))).toEqual({ field: 'createdAt', after: d('2026-11-22T09:00:00Z'), until: d('2026-11-22T09:01:00Z') });
  });
});
