import { ServiceBroker } from 'moleculer';
import pg from 'pg';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import { NOCOBASE_FIELD_STORAGE_SQL } from '../../../shared/db/migrations/0020-nocobase-field-storage';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import type { Body } from '../../support/http';
import { requireServices } from '../../support/services';


/** Field types and their storage as NocoBase's, through the REST API (issue 12, item 4). */
describe('NocoBase field types through the gateway', () => {
  const schema = uniqueSchema('ftype');
  let broker: ServiceBroker;
  let base: string;
  let token: string;
  let userId: number;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`${base}/${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService]);
    broker = node.broker;
    base = node.api;
    const signedIn = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data;
    token = signedIn.token;
    userId = signedIn.user.id;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('date keeps the instant, float keeps its digits, and every other type round-trips as NocoBase answers it', async () => {
    const created = await call('POST', 'collections:create', {
      name: 'events',
      createdBy: true,
      updatedBy: true,
      fields: [
        { name: 'title', type: 'string' },
        { name: 'at', type: 'date' },
        { name: 'tz', type: 'datetimeTz' },
        { name: 'local', type: 'datetimeNoTz' },
        { name: 'day', type: 'dateOnly' },
        { name: 'clock', type: 'time' },
        { name: 'ratio', type: 'float' },
        { name: 'ref', type: 'uuid' },
        { name: 'code', type: 'nanoid' },
        { name: 'position', type: 'sort' },
        { name: 'labels', type: 'array' },
      ],
    });
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({ createdBy: true, updatedBy: true });

    const first = await call('POST', 'events:create', {
      title: 'launch',
      at: '2026-11-22T08:40:15.967Z',
      tz: 1700000000000,
      local: '2026-11-22 08:40:15',
      day: '2026-11-22',
      clock: '08:40:15',
      ratio: '0.1',
      labels: ['a', 'b'],
    });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data).toMatchObject({
      at: '2026-11-22T08:40:15.967Z',
      tz: '2023-11-14T22:13:20.000Z',
      local: '2026-11-22 08:40:15',
      day: '2026-11-22',
      clock: '08:40:15',
      ratio: 0.1,
      labels: ['a', 'b'],
      position: 1,
      createdById: userId,
      updatedById: userId,
    });
    expect(first.body.data.ref).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.body.data.code).toMatch(/^[A-Za-z0-9_-]{21}$/);
    const second = (await call('POST', 'events:create', { title: 'second', ratio: 1.0000001 })).body.data;
    expect(second).toMatchObject({ position: 2, ratio: 1.0000001 });

    const inZone = await call('GET', `events:list?filter=${encodeURIComponent(JSON.stringify({ at: { $dateOn: '2026-11-22' } }))}`, undefined, { 'X-Timezone': '+09:00' });
    expect(inZone.body.data.map((r: { title: string }) => r.title)).toEqual(['launch']);
  });

  test('migration 0020 turns old date and real columns into timestamptz and double precision without losing values', async () => {
    expect((await call('POST', 'collections:create', { name: 'legacy', fields: [{ name: 'day', type: 'date' }, { name: 'ratio', type: 'float' }] })).status).toBe(200);
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      await client.query(`set search_path to "${schema}"`);
      await client.query('alter table legacy alter column "day" type date, alter column "ratio" type real');
      await client.query(`insert into legacy (id, "day", "ratio") values (1, '2024-02-29', 0.1), (2, null, null)`);
      await client.query(NOCOBASE_FIELD_STORAGE_SQL);
      const types = await client.query(`select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = 'legacy' order by column_name`, [schema]);
      expect(Object.fromEntries(types.rows.map((r) => [r.column_name, r.data_type]))).toMatchObject({ day: 'timestamp with time zone', ratio: 'double precision' });
      await client.query(NOCOBASE_FIELD_STORAGE_SQL); // a second run changes nothing
    } finally {
      await client.end();
    }
    const rows = (await call('GET', 'legacy:list?sort=id')).body.data;
    expect(rows.map((r: { day: string | null; ratio: number | null }) => [r.day, r.ratio])).toEqual([
      ['2024-02-29T00:00:00.000Z', 0.1],
      [null, null],
    ]);
  });

  test('forms send numbers and booleans as text: accepted; text that is no number is a 400 naming the field', async () => {
    const ok = await call('POST', 'events:create', { title: 'form', position: '7', ratio: '2.5' });
    expect(ok.body.data).toMatchObject({ position: 7, ratio: 2.5 });
    const bad = await call('POST', 'events:create', { title: 'form', ratio: 'lots' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]?.message).toContain('field "ratio"');
  });
});
