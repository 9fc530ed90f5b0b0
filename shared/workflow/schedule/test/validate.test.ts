import { validateScheduleConfig } from '../index.js';

function message(config: unknown): string {
  try {
    validateScheduleConfig(config);
  } catch (error) {
    expect((error as { type: string }).type).toBe('CB_ERR_VALIDATION');
    expect((error as { code: number }).code).toBe(400);
    return (error as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('validateScheduleConfig', () => {
  it('accepts the NocoBase samples', () => {
    const samples = [
      { mode: 0, startsOn: '2026-11-22T00:00:00.000Z', repeat: '0 0 2 * * *', endsOn: null, limit: null },
      { mode: 0, startsOn: '2026-11-22T09:00:00.000Z', repeat: 600000, limit: 5 },
      { mode: 1, collection: 'products', startsOn: { field: 'createdAt', offset: 1, unit: 86400000 }, endsOn: null, repeat: null, limit: null, appends: [] },
      { mode: 0, startsOn: '2026-11-22T00:00:00.000Z', repeat: '*/5 * * * *', timezone: 'Europe/Paris' },
      { mode: 0 },
    ];
    for (const sample of samples) expect(validateScheduleConfig(sample)).toEqual(sample);
  });

  it('refuses a mode other than 0 or 1 with NocoBase\'s message', () => {
    expect(message({ mode: 7 })).toBe('"mode" must be one of [0, 1]');
    expect(message({})).toBe('"mode" must be one of [0, 1]');
  });

  it.each([
    [{ mode: 0, repeat: '* * *' }, /cron/],
    [{ mode: 0, repeat: '1 2 3 4 5 6 7' }, /cron/],
    [{ mode: 0, repeat: '99 * * * *' }, /cron/],
    [{ mode: 0, repeat: -5 }, /positive/],
    [{ mode: 0, startsOn: 'yesterday' }, /startsOn/],
    [{ mode: 0, endsOn: 'never' }, /endsOn/],
    [{ mode: 0, limit: 1.5 }, /limit/],
    [{ mode: 0, timezone: 'Mars/Olympus' }, /timezone/],
    [{ mode: 1, startsOn: { field: 'createdAt' } }, /"collection" is required/],
    [{ mode: 1, collection: 'products' }, /startsOn.field/],
    [{ mode: 1, collection: 'products', startsOn: { field: 'createdAt', unit: 0 } }, /unit/],
    [{ mode: 1, collection: 'products', startsOn: { field: 'createdAt' }, endsOn: 5 }, /endsOn/],
  ])('refuses %j', (config, expected) => {
    expect(message(config)).toMatch(expected);
  });
});
