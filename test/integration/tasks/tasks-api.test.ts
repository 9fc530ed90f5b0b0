import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import AsyncTaskApiService = require('../../../services/async-task-api.service');
import AsyncTaskService = require('../../../services/async-task.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';
import { addMember, client, readXlsx, sql, waitForTask, xlsxOf, type Client } from './support';

const COLUMNS = [
  { dataIndex: ['title'], defaultTitle: 'Title' },
  { dataIndex: ['price'], defaultTitle: 'Price' },
  { dataIndex: ['qty'], defaultTitle: 'Qty' },
  { dataIndex: ['active'], defaultTitle: 'Active' },
  { dataIndex: ['day'], defaultTitle: 'Day' },
];

describe('import, export and tasks through the gateway (one node)', () => {
  const schema = uniqueSchema('tsk');
  let broker: ServiceBroker;
  let api: Client;
  let token: string;

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, AsyncTaskApiService, AsyncTaskService], {
      APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde',
      EXPORT_INLINE_MAX_ROWS: '50',
      ASYNC_TASK_BATCH_SIZE: '20',
      IMPORT_MAX_FILE_SIZE: '200kb',
      ASYNC_TASK_SWEEP_INTERVAL: '0.5',
      ASYNC_TASK_MAX_CONCURRENCY: '2',
    });
    broker = node.broker;
    api = client(node.api);
    token = await api.signIn();
    expect((await api.call('POST', 'collections:create', { name: 'categories', fields: [{ name: 'name', type: 'string' }] }, token)).status).toBe(200);
    const created = await api.call(
      'POST',
      'collections:create',
      {
        name: 'products',
        fields: [
          { name: 'title', type: 'string' },
          { name: 'sku', type: 'string', unique: true },
          { name: 'price', type: 'double' },
          { name: 'qty', type: 'integer' },
          { name: 'active', type: 'boolean' },
          { name: 'day', type: 'date' },
          { name: 'category', type: 'belongsTo', target: 'categories' },
        ],
      },
      token,
    );
    expect(created.status).toBe(200);
    const cat = (await api.call('POST', 'categories:create', { name: 'Tools' }, token)).body.data;
    const rows = Array.from({ length: 120 }, (_, i) => ({ title: `P${i + 1}`, sku: `S${i + 1}`, price: i + 0.5, qty: i + 1, active: i % 2 === 0, day: '2026-11-23', categoryId: i < 10 ? cat.id : null }));
    expect((await api.call('POST', 'products:create', rows, token)).status).toBe(200);
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('a small export answers the xlsx at once: typed cells, relation paths, filter and sort', async () => {
    const filter = encodeURIComponent(JSON.stringify({ qty: { $lte: 3 } }));
    const res = await api.raw('POST', `products:export?title=products&filter=${filter}&sort=-qty`, { columns: [...COLUMNS, { dataIndex: ['category', 'name'], defaultTitle: 'Category' }] }, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('products.xlsx');
    const sheet = await readXlsx(res.bytes);
    expect(sheet[0]).toEqual(['Title', 'Price', 'Qty', 'Active', 'Day', 'Category']);
    expect(sheet).toHaveLength(4);
    expect(sheet[1]).toEqual(['P3', 2.5, 3, true, new Date('2026-11-23T00:00:00.000Z'), 'Tools']);
    expect(typeof sheet[2]![3]).toBe('boolean');
  });

  test('csv export; a bad column is a 400 naming it', async () => {
    const res = await api.raw('POST', `products:export?format=csv&title=p&filter=${encodeURIComponent('{"qty":1}')}`, { columns: COLUMNS }, token);
    expect(res.status).toBe(200);
    expect(res.bytes.toString('utf8').replace(/^\uFEFF/, '').trim().split('\n')).toEqual(['Title,Price,Qty,Active,Day', 'P1,0.5,1,true,2026-11-23']);
    const bad = await api.call('POST', 'products:export', { columns: [{ dataIndex: ['nope'], defaultTitle: 'X' }] }, token);
    expect(bad.status).toBe(400);
    expect(bad.body.errors![0]!.message).toContain('nope');
  });

  test('a large export answers 202 with a task; the file is complete and only its owner can fetch it', async () => {
    const res = await api.call('POST', 'products:export?title=all products', { columns: COLUMNS }, token);
    expect(res.status).toBe(202);
    const id = res.body.data.id;
    expect(res.body.data).toMatchObject({ type: 'export', status: null });
    const task = await waitForTask(api, id, token);
    expect(task).toMatchObject({ status: 1, progressCurrent: 120, progressTotal: 120, result: { rows: 120, fileName: 'all products.xlsx' } });
    const file = await api.raw('GET', `asyncTasks:fetchFile?filterByTk=${id}`, undefined, token);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toContain('all%20products.xlsx');
    const sheet = await readXlsx(file.bytes);
    expect(sheet).toHaveLength(121);
    expect(sheet.slice(1).map((r) => r[0])).toEqual(Array.from({ length: 120 }, (_, i) => `P${i + 1}`));

    const list = await api.call('GET', 'asyncTasks:list', undefined, token);
    expect(list.body.data.map((t: { id: string }) => t.id)).toContain(id);

    await addMember(schema, 'mallory', 'mallory-pass');
    const other = await api.signIn('mallory', 'mallory-pass');
    expect((await api.call('GET', `asyncTasks:fetchFile?filterByTk=${id}`, undefined, other)).status).toBe(404);
    expect((await api.call('GET', `asyncTasks:get?filterByTk=${id}`, undefined, other)).body.data).toBeNull();
    expect((await api.call('GET', 'asyncTasks:list', undefined, other)).body.data).toEqual([]);
    expect((await api.call('GET', `asyncTasks:fetchFile?filterByTk=${id}`)).status).toBe(401);

    // A member's own task: theirs to fetch; the root user (an admin) sees it in the list too.
    const own = await api.call('POST', 'products:export?async=true&format=csv&title=mine', { columns: COLUMNS }, other);
    expect(own.status).toBe(202);
    expect((await waitForTask(api, own.body.data.id, other)).status).toBe(1);
    expect((await api.raw('GET', `asyncTasks:fetchFile?filterByTk=${own.body.data.id}`, undefined, other)).status).toBe(200);
    expect((await api.call('GET', 'asyncTasks:list?pageSize=100', undefined, token)).body.data.map((t: { id: string }) => t.id)).toContain(own.body.data.id);
    expect((await api.call('GET', 'asyncTasks:list', undefined, other)).body.data.map((t: { id: string }) => t.id)).toEqual([own.body.data.id]);
  });

  test("NocoBase's asyncTasks answers for missing ids", async () => {
    const zero = '00000000-0000-0000-0000-000000000000';
    expect(await api.call('GET', `asyncTasks:get?filterByTk=${zero}`, undefined, token)).toMatchObject({ status: 200, body: { data: null } });
    expect(await api.call('POST', `asyncTasks:stop?filterByTk=${zero}`, undefined, token)).toMatchObject({ status: 404, body: { errors: [{ message: 'Task not found' }] } });
    expect(await api.call('GET', 'asyncTasks:fetchFile', undefined, token)).toMatchObject({ status: 400, body: { errors: [{ message: 'Task id is required' }] } });
  });

  test('xlsx import: every bad row reported with row, column and reason; the good ones inserted', async () => {
    const file = await xlsxOf([
      ['Fill one product per row'],
      [],
      ['Title', 'SKU', 'Price', 'Qty', 'Active'],
      ['imp-1', 'I1', 3.5, 7, 'True'],
      ['imp-2', 'I2', 'not-a-number', 1, 'False'],
      ['imp-3', 'I3', 9, 1.5, 'yes'],
      ['imp-4', 'S1', 1, 1, 'no'], // duplicate sku: refused by the database, only this row
      ['imp-5', 'I5', 2, 2, 'maybe'],
      ['imp-6', 'I6', 2, 2, false],
    ]);
    const columns = [{ dataIndex: ['title'], defaultTitle: 'Title' }, { dataIndex: ['sku'], defaultTitle: 'SKU' }, ...COLUMNS.slice(1, 4)];
    const res = await api.upload('products:importXlsx', file, 'products.xlsx', { columns: JSON.stringify(columns) }, token);
    expect(res.status).toBe(202);
    const task = await waitForTask(api, res.body.data.id, token);
    expect(task.status).toBe(1);
    expect(task.result).toMatchObject({ inserted: 2, updated: 0, rejected: 4, successCount: 2 });
    expect(task.result.rejectedRows).toEqual([
      { row: 2, column: 'Price', reason: expect.stringContaining('not-a-number') },
      { row: 3, column: 'Qty', reason: expect.stringContaining('qty') },
      { row: 4, column: 'SKU', reason: expect.stringMatching(/sku/i) },
      { row: 5, column: 'Active', reason: expect.stringContaining('maybe') },
    ]);
    const titles = (await sql(`select title, active from "${schema}".products where title like 'imp-%' order by title`)).map((r) => [r.title, r.active]);
    expect(titles).toEqual([['imp-1', true], ['imp-6', false]]);
  });

  test('csv upsert by a unique field updates existing records and inserts new ones', async () => {
    const csv = Buffer.from('SKU,Title,Qty\nS2,renamed,200\nNEW1,brand new,5\n');
    const columns = [{ dataIndex: ['sku'], defaultTitle: 'SKU' }, { dataIndex: ['title'], defaultTitle: 'Title' }, { dataIndex: ['qty'], defaultTitle: 'Qty' }];
    const res = await api.upload('products:importCsv', csv, 'p.csv', { columns: JSON.stringify(columns), mode: 'upsert', uniqueField: 'sku' }, token);
    expect(res.status).toBe(202);
    const task = await waitForTask(api, res.body.data.id, token);
    expect(task.result).toMatchObject({ inserted: 1, updated: 1, rejected: 0 });
    expect(await sql(`select title, qty from "${schema}".products where sku in ('S2', 'NEW1') order by sku`)).toEqual([
      { title: 'brand new', qty: 5 },
      { title: 'renamed', qty: 200 },
    ]);
  });

  test('all-or-nothing: one bad row and nothing is written', async () => {
    const rows = [['Title', 'Qty'], ...Array.from({ length: 50 }, (_, i) => [`aon-${i}`, i === 33 ? 'x' : i])];
    const res = await api.upload('products:importXlsx', await xlsxOf(rows), 'a.xlsx', { columns: JSON.stringify([{ dataIndex: ['title'], defaultTitle: 'Title' }, { dataIndex: ['qty'], defaultTitle: 'Qty' }]), allOrNothing: 'true' }, token);
    const task = await waitForTask(api, res.body.data.id, token);
    expect(task.status).toBe(-1);
    expect(task.result).toMatchObject({ inserted: 0, committed: false, rejectedRows: [{ row: 34, column: 'Qty' }] });
    expect(await sql(`select count(*)::int as n from "${schema}".products where title like 'aon-%'`)).toEqual([{ n: 0 }]);
  });

  test('bad uploads: headers not found, too large, no file, multipart where not accepted', async () => {
    const file = await xlsxOf([['Name'], ['x']]);
    const missing = await api.upload('products:importXlsx', file, 'x.xlsx', { columns: JSON.stringify([{ dataIndex: ['title'], defaultTitle: 'Title' }]) }, token);
    expect(missing).toMatchObject({ status: 400, body: { errors: [{ message: 'Headers not found. Expected headers: Title' }] } });
    const big = await api.upload('products:importCsv', Buffer.alloc(300 * 1024, 'a'), 'big.csv', {}, token);
    expect(big.status).toBe(413);
    expect(big.body.errors![0]!.message).toContain('IMPORT_MAX_FILE_SIZE (204800 bytes)');
    expect((await api.call('POST', 'products:importXlsx', {}, token)).status).toBe(400);
    expect((await api.upload('products:create', file, 'x.xlsx', {}, token)).status).toBe(415);
  });

  test('template download', async () => {
    const res = await api.raw('POST', 'products:downloadXlsxTemplate', { explain: 'One per row', columns: [{ dataIndex: ['title'], defaultTitle: 'Title' }, { dataIndex: ['price'], defaultTitle: 'Price', description: 'number' }] }, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('products-import-template.xlsx');
    expect(await readXlsx(res.bytes)).toEqual([['One per row'], [''], ['Price：number'], ['Title', 'Price']]);
  });

  test('a node runs at most ASYNC_TASK_MAX_CONCURRENCY tasks at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await api.call('POST', 'products:export?async=true&format=csv', { columns: COLUMNS }, token)).body.data.id);
    for (const id of ids) expect((await waitForTask(api, id, token)).status).toBe(1);
    const runs = await sql<{ s: Date; e: Date }>(`select "startedAt" as s, "doneAt" as e from "${schema}"."asyncTasks" where id = any($1)`, [ids]);
    const overlapping = runs.map((r) => runs.filter((o) => o.s <= r.s && r.s < o.e).length);
    expect(Math.max(...overlapping)).toBeLessThanOrEqual(2);
  });

  test('progress over Server-Sent Events ends with the finished task', async () => {
    const res = await api.call('POST', 'products:export?async=true&format=csv', { columns: COLUMNS }, token);
    expect(res.status).toBe(202);
    const sse = await fetch(`${api.base}/asyncTasks:progress?filterByTk=${res.body.data.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    const events = (await sse.text())
      .split('\n\n')
      .filter((e) => e.startsWith('event: progress'))
      .map((e) => JSON.parse(e.split('\ndata: ')[1]!));
    expect(events.length).toBeGreaterThanOrEqual(1);
    const [{ n }] = await sql(`select count(*)::int as n from "${schema}".products`);
    expect(events.at(-1)).toMatchObject({ id: res.body.data.id, status: 1, progressCurrent: n, progressTotal: n });
  });
});
