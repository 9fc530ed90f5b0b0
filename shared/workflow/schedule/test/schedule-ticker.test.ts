import { ScheduleTicker, type ScheduledWorkflow, type ScheduleFireContext } from '../index.js';

const silent = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };

function fakeClock(start: string) {
  let now = Date.parse(start);
  return { now: () => new Date(now), advance: (ms: number) => { now += ms; } };
}

describe('ScheduleTicker (fake time)', () => {
  it('fires each due tick once with its event key', async () => {
    const clock = fakeClock('2026-11-22T00:00:00.500Z');
    const fired: string[] = [];
    const workflow: ScheduledWorkflow = { id: 7, enabled: true, config: { mode: 0, startsOn: '2026-11-22T00:00:00.000Z', repeat: 1000 } };
    const ticker = new ScheduleTicker({
      intervalMs: 60_000, now: clock.now, logger: silent,
      listSchedules: async () => [workflow, { id: 8, enabled: false, config: workflow.config }, { id: 9, config: { mode: 1, collection: 'x', startsOn: { field: 'a' } } }],
      fire: async (_w, _tick, context: ScheduleFireContext) => { fired.push(context.eventKey); },
    });
    ticker.start();
    clock.advance(1000);
    await ticker.check();
    clock.advance(1000);
    await ticker.check();
    await ticker.stop();
    expect(fired).toEqual(['7@2026-11-22T00:00:01.000Z', '7@2026-11-22T00:00:02.000Z']);
  });

  it('fires only the last tick after a long gap and logs the skip', async () => {
    const clock = fakeClock('2026-11-22T00:00:00.500Z');
    const fired: string[] = [];
    const warn = jest.fn();
    const ticker = new ScheduleTicker({
      intervalMs: 60_000, now: clock.now, logger: { ...silent, warn },
      listSchedules: async () => [{ id: 1, config: { mode: 0, startsOn: '2026-11-22T00:00:00.000Z', repeat: '* * * * * *' } }],
      fire: async (_w, tick) => { fired.push(tick.toISOString()); },
    });
    ticker.start();
    clock.advance(3_600_000);
    await ticker.check();
    await ticker.stop();
    expect(fired).toEqual(['2026-11-22T01:00:00.000Z']);
    expect(warn).toHaveBeenCalledWith('schedule of workflow 1 missed at least 999 ticks; firing only the last (2026-11-22T01:00:00.000Z)');
  });

  it('retries a failed fire at the next check', async () => {
    const clock = fakeClock('2026-11-22T00:00:00.500Z');
    const attempts: string[] = [];
    let failNext = true;
    const ticker = new ScheduleTicker({
      intervalMs: 60_000, now: clock.now, logger: silent,
      listSchedules: async () => [{ id: 1, config: { mode: 0, startsOn: '2026-11-22T00:00:00.000Z', repeat: 10_000 } }],
      fire: async (_w, tick) => {
        attempts.push(tick.toISOString());
        if (failNext) { failNext = false; throw new Error('database down'); }
      },
    });
    ticker.start();
    clock.advance(10_000);
    await ticker.check();
    clock.advance(1_000);
    await ticker.check();
    await ticker.stop();
    expect(attempts).toEqual(['2026-11-22T00:00:10.000Z', '2026-11-22T00:00:10.000Z']);
  });

  it('keeps the window open when listing fails', async () => {
    const clock = fakeClock('2026-11-22T00:00:00.500Z');
    const fired: string[] = [];
    let down = true;
    const ticker = new ScheduleTicker({
      intervalMs: 60_000, now: clock.now, logger: silent,
      listSchedules: async () => {
        if (down) throw new Error('no db');
        return [{ id: 1, config: { mode: 0, startsOn: '2026-11-22T00:00:00.000Z', repeat: 1000 } }];
      },
      fire: async (_w, tick) => { fired.push(tick.toISOString()); },
    });
    ticker.start();
    clock.advance(1000);
    await ticker.check();
    down = false;
    clock.advance(1000);
    await ticker.check();
    await ticker.stop();
    expect(fired).toEqual(['2026-11-22T00:00:01.000Z', '2026-11-22T00:00:02.000Z']);
  });
});

describe('ScheduleTicker (real timers)', () => {
  it('fires an every-second cron on its own, one event key per tick, shared by three tickers', async () => {
    const keys = new Map<string, number>();
    const workflow: ScheduledWorkflow = { id: 'wf', config: { mode: 0, startsOn: new Date(Date.now() - 1000).toISOString(), repeat: '* * * * * *' } };
    const tickers = [1, 2, 3].map(() => new ScheduleTicker({
      intervalMs: 100, logger: silent, listSchedules: async () => [workflow],
      fire: async (_w, _tick, { eventKey }) => { keys.set(eventKey, (keys.get(eventKey) ?? 0) + 1); },
    }));
    for (const ticker of tickers) ticker.start();
    while (keys.size < 3) await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all(tickers.map((ticker) => ticker.stop()));
    // Every node fires every tick under the same key; the engine's unique eventKey keeps one execution.
    for (const [key, count] of keys) {
      expect(key).toMatch(/^wf@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      expect(count).toBeLessThanOrEqual(3);
    }
    const seconds = [...keys.keys()].map((key) => Date.parse(key.slice(3))).sort();
    for (let i = 1; i < seconds.length; i += 1) expect((seconds[i] as number) - (seconds[i - 1] as number)).toBe(1000);
  });
});
