import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import AsyncTaskApiService = require('../../../services/async-task-api.service');
import AsyncTaskService = require('../../../services/async-task.service');
import type { EntityManager } from '@mikro-orm/postgresql';
import { appsOf } from '../../../services/support/apps';
import { nodeState } from '../../../shared/runtime';
import { StaleFence, TaskStore } from '../../../shared/tasks';
import { runExportTask } from '../../../shared/tasks/run-task';
import { writeExport } from '../../../shared/tasks';
import { PassThrough } from 'node:stream';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';
import { addMember, client, sql, waitForTask, type Client } from './support';
import type { Json } from '../../support/http';

/**
 * Failure paths a hostile or careless client reaches: other users' tasks, files named through the
 * query string, titles that cannot be file names, bad import options, leftovers on disk, huge
 * numbers of bad rows.
 */
describe('tasks API: authorization, input checks and leftovers', () => {
  const schema = uniqueSchema('tsh');
  let broker: ServiceBroker;
  let api: Client;
  let root: string;
  let member: string;
  let storage: string;
  let exportId: string;
  let exportPath: string;
  const TITLE = [{ dataIndex: ['title'], defaultTitle: 'Title' }];
  const uploads = () => readdirSync(join(storage, 'tmp', 'uploads')).filter((n) => !n.startsWith('.'));

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, AsyncTaskApiService, AsyncTaskService], {
      EXPORT_INLINE_MAX_ROWS: '0',
      ASYNC_TASK_BATCH_SIZE: '200',
      ASYNC_TASK_SWEEP_INTERVAL: '0.5',
    });
    broker = node.broker;
    storage = node.config.storagePath;
    api = client(node.api);
    root = await api.signIn();
    await addMember(schema, 'mallory', 'mallory-pass');
    member = await api.signIn('mallory', 'mallory-pass');
    const fields = [
      { name: 'title', type: 'string' },
      { name: 'sku', type: 'string', unique: true },
      { name: 'qty', type: 'integer' },
    ];
    const made = await api.call('POST', 'collections:create', { name: 'items', fields }, root);
    expect(made.body.errors ?? []).toEqual([]);
    expect((await api.call('POST', 'items:create', [{ title: 'a', sku: 'A', qty: 1 }, { title: 'b', sku: 'B', qty: 2 }], root)).status).toBe(200);
    const res = await api.call('POST', 'items:export?title=secret', { columns: TITLE }, root);
    exportId = res.body.data.id;
    expect((await waitForTask(api, exportId, root)).status).toBe(1);
    exportPath = (await sql(`select "filePath" from "${schema}"."asyncTasks" where id = $1`, [exportId]))[0].filePath;
    expect(existsSync(join(storage, exportPath))).toBe(true);
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test("another user's task: get, stop, progress and fetchFile all answer as if it did not exist; anonymous is a 401", async () => {
    expect((await api.call('GET', `asyncTasks:get?filterByTk=${exportId}`, undefined, member)).body.data).toBeNull();
    expect((await api.call('POST', `asyncTasks:stop?filterByTk=${exportId}`, undefined, member)).status).toBe(404);
    expect((await api.call('GET', `asyncTasks:progress?filterByTk=${exportId}`, undefined, member)).status).toBe(404);
    expect((await api.call('GET', `asyncTasks:fetchFile?filterByTk=${exportId}`, undefined, member)).status).toBe(404);
    for (const action of ['get', 'progress', 'fetchFile', 'list']) expect((await api.call('GET', `asyncTasks:${action}?filterByTk=${exportId}`)).status).toBe(401);
    expect((await api.call('POST', `asyncTasks:stop?filterByTk=${exportId}`)).status).toBe(401);
    expect((await api.call('POST', 'items:export?async=true', { columns: TITLE })).status).toBe(401);
  });

  test("a query-string `files` cannot make an import read, or delete, another task's file", async () => {
    const q = `files[file][path]=${encodeURIComponent(exportPath)}&files[file][fileName]=x.xlsx&columns=${encodeURIComponent(JSON.stringify(TITLE))}`;
    for (const extra of ['', '&mode=nonsense']) {
      const res = await api.call('POST', `items:importXlsx?${q}${extra}`, {}, member);
      expect(res.status).toBe(400);
      expect(res.body.errors![0]!.message).toContain('multipart field "file"');
    }
    // Through the body too (`values.files` is never read as staged files).
    expect((await api.call('POST', 'items:importXlsx', { files: { file: { path: exportPath, fileName: 'x.xlsx' } }, columns: TITLE }, member)).status).toBe(400);
    expect(existsSync(join(storage, exportPath))).toBe(true);
    expect((await api.raw('GET', `asyncTasks:fetchFile?filterByTk=${exportId}`, undefined, root)).status).toBe(200);
    expect(await sql(`select count(*)::int as n from "${schema}"."asyncTasks" where type = 'import'`)).toEqual([{ n: 0 }]);
  });

  test('export titles: too long is a 400 naming the limit; a long multi-byte title still makes a file with a safe header', async () => {
    const long = await api.call('POST', `items:export?title=${'x'.repeat(300)}`, { columns: TITLE }, root);
    expect(long.status).toBe(400);
    expect(long.body.errors![0]!.message).toMatch(/'title'.*248 characters/);
    const title = `${'ü'.repeat(120)}"\r\n${'😀'.repeat(60)}`;
    const res = await api.call('POST', 'items:export?async=true&format=csv', { title, columns: TITLE }, root);
    expect(res.status).toBe(202);
    const task = await waitForTask(api, res.body.data.id, root);
    expect(task.status).toBe(1);
    expect(Buffer.byteLength(task.result.fileName)).toBeLessThan(200);
    const file = await api.raw('GET', `asyncTasks:fetchFile?filterByTk=${task.id}`, undefined, root);
    expect(file.status).toBe(200);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    const disposition = file.headers.get('content-disposition')!;
    expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toBe(task.result.fileName);
    expect(file.bytes.toString('utf8')).toContain('Title');
  });

  test('bad import options are 400s naming the problem, and the staged upload is removed each time', async () => {
    const csv = Buffer.from('Title,SKU\nx,X1\n');
    const columns = JSON.stringify([...TITLE, { dataIndex: ['sku'], defaultTitle: 'SKU' }]);
    const cases: Array<[Record<string, string>, string]> = [
      [{ columns, mode: 'merge' }, 'mode must be insert or upsert'],
      [{ columns, mode: 'upsert' }, 'upsert needs uniqueField'],
      [{ columns, mode: 'upsert', uniqueField: 'nope' }, 'upsert needs uniqueField'],
      [{ columns, mode: 'upsert', uniqueField: 'title' }, 'uniqueField "title" of "items" is not unique'],
      [{ columns: JSON.stringify(TITLE), mode: 'upsert', uniqueField: 'sku' }, 'uniqueField "sku" must be one of the imported columns'],
      [{ columns: '{"dataIndex":1}' }, 'columns must be an array'],
      [{ columns: '[{"dataIndex":[]}]' }, 'columns[0].dataIndex'],
      [{ columns: JSON.stringify([{ dataIndex: ['ghost'] }]) }, '"ghost" is not a field of "items"'],
      [{ columns: JSON.stringify([{ dataIndex: ['Qty'], defaultTitle: 'Nope' }]) }, '"Qty" is not a field'],
      [{ columns: JSON.stringify([{ dataIndex: ['qty'], defaultTitle: 'Nope' }]) }, 'Headers not found'],
    ];
    for (const [fields, message] of cases) {
      const res = await api.upload('items:importCsv', csv, 'a.csv', fields, root);
      expect({ status: res.status, message: res.body.errors?.[0]?.message }).toEqual({ status: 400, message: expect.stringContaining(message) });
    }
    expect(uploads()).toEqual([]);
    // Not allowed at all: the file is not kept either.
    expect((await api.upload('users:importCsv', csv, 'a.csv', { columns }, member)).status).toBe(403);
    expect(uploads()).toEqual([]);
  });

  test('extra and repeated file parts are drained, never staged: only the first `file` is imported, nothing is left behind', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(Buffer.from('Title\nfirst-part\n'))]), 'a.csv');
    form.append('file', new Blob([new Uint8Array(Buffer.from('Title\nsecond-part\n'))]), 'b.csv');
    form.append('other', new Blob([new Uint8Array(Buffer.alloc(64 * 1024, 'z'))]), 'c.bin');
    form.append('columns', JSON.stringify(TITLE));
    const res = await fetch(`${api.base}/items:importCsv`, { method: 'POST', headers: { authorization: `Bearer ${root}` }, body: form });
    expect(res.status).toBe(202);
    const task = await waitForTask(api, ((await res.json()) as { data: { id: string } }).data.id, root);
    expect(task.result).toMatchObject({ inserted: 1, rejected: 0 });
    expect((await sql(`select title from "${schema}".items where title like '%-part'`)).map((r) => r.title)).toEqual(['first-part']);
    expect(uploads()).toEqual([]);
  });

  test('a file of many bad rows: every one counted, the first 1000 listed, and the result says the list is cut', async () => {
    const lines = ['Title,Qty', ...Array.from({ length: 1_250 }, (_, i) => `bad-${i + 1},${i === 600 ? 5 : 'NaN-ish'}`)];
    const columns = JSON.stringify([...TITLE, { dataIndex: ['qty'], defaultTitle: 'Qty' }]);
    for (const allOrNothing of ['false', 'true']) {
      const res = await api.upload('items:importCsv', Buffer.from(lines.join('\n')), 'bad.csv', { columns, allOrNothing }, root);
      expect(res.status).toBe(202);
      const task = await waitForTask(api, res.body.data.id, root);
      expect(task.result).toMatchObject({ rejected: 1_249, inserted: allOrNothing === 'true' ? 0 : 1, rejectedRowsTruncated: true });
      expect(task.result.rejectedRows).toHaveLength(1_000);
      expect(task.result.rejectedRows[0]).toMatchObject({ row: 1, column: 'Qty' });
      expect(task.result.rejectedRows.at(-1)).toMatchObject({ row: 1_001 });
    }
  });

  test('a staged upload a failed request left behind, and an expired one, are not served to an import', async () => {
    // The sweep's age-based removal of staged uploads is covered by removeStaleUploads; here: the
    // pattern check refuses a well-formed but foreign staged path that does not exist as this request's upload.
    const res = await api.call('POST', 'items:importCsv?files[file][path]=tmp/uploads/0b6f3c9e-6a4e-4f0e-9a51-4c1bb7a0c2d1-a.csv&files[file][fileName]=a.csv', {}, root);
    expect(res.status).toBe(400);
  });

  test('an export runner taken over after its last batch does not put its file in place (fenced before the rename)', async () => {
    const state = nodeState(broker);
    const schemaName = appsOf(broker).schemaOf('main');
    const em = () => state.services().database.fork(schemaName) as EntityManager;
    const store = new TaskStore(schemaName);
    const id = '6f1de2a4-3b7c-4d8e-9f00-1234567890ab';
    await store.insert(em(), { id, origin: 'items', type: 'export', title: 'Export stale', params: { collection: 'items', format: 'csv', title: 'stale', columns: TITLE }, createdById: 1 });
    const task = (await store.claim(em(), id, 'old-node', 60_000))!;
    const fence = Number(task.fence);
    // The takeover happens right after this runner's last batch was checkpointed.
    class TakenOverAfterLastBatch extends TaskStore {
      override async checkpoint(e: EntityManager, taskId: string, f: number, progress: Parameters<TaskStore['checkpoint']>[3]) {
        const res = await super.checkpoint(e, taskId, f, progress);
        await sql(`update "${schema}"."asyncTasks" set fence = fence + 1, "ownerNode" = 'new-node' where id = $1`, [taskId]);
        return res;
      }
    }
    const ctx = { app: 'main', em, data: (await appsOf(broker).get('main')).data, store: new TakenOverAfterLastBatch(schemaName), storagePath: storage, batchSize: 1000, signal: new AbortController().signal, progress: () => undefined };
    await expect(runExportTask(task, fence, ctx)).rejects.toBeInstanceOf(StaleFence);
    const folder = join(storage, 'tasks', 'main', id);
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
  });

  test('the tasks API is described in /api/__openapi.json with its parameters, and they are checked', async () => {
    const doc = (await (await fetch(`${api.base}/__openapi.json`)).json()) as { paths: Record<string, Json> };
    const names = (path: string, method = 'get') => (doc.paths[path]?.[method]?.parameters ?? []).map((p: { name: string }) => p.name);
    expect(names('/api/asyncTasks:list')).toEqual(expect.arrayContaining(['page', 'pageSize']));
    for (const a of ['get', 'fetchFile', 'progress']) expect(names(`/api/asyncTasks:${a}`)).toContain('filterByTk');
    expect(names('/api/asyncTasks:stop', 'post')).toContain('filterByTk');
    const exportOp = doc.paths['/api/{collection}:export'].get;
    expect(exportOp.parameters.find((p: { name: string }) => p.name === 'format').schema).toEqual({ enum: ['xlsx', 'csv'] });
    expect(Object.keys(doc.paths['/api/{collection}:importCsv'].post.requestBody.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['columns', 'mode', 'uniqueField', 'allOrNothing']));
    expect((await api.call('GET', 'asyncTasks:list?pageSize=0', undefined, root)).status).toBe(400);
    expect((await api.call('GET', 'asyncTasks:list?pageSize=5', undefined, root)).body.meta).toMatchObject({ pageSize: 5 });
    const bad = await api.call('POST', 'items:export?format=pdf', {}, root);
    expect(bad.status).toBe(400);
    expect(bad.body.errors![0]!.message).toContain('format');
  });

  test('a client that goes away ends its progress stream and releases its subscription', async () => {
    const node = (nodeState(broker).services().cluster.sync as unknown as { node: { subscriptions: Map<string, Set<unknown>> } }).node;
    const subscribers = () => [...node.subscriptions].filter(([key]) => key.includes('asyncTasks:progress')).reduce((n, [, set]) => n + set.size, 0);
    const [{ id: userId }] = await sql(`select id from "${schema}".users where username = 'nocobase'`);
    // A task running "elsewhere" with a live lease: its stream would stay open for an hour.
    const id = '7a2de2a4-3b7c-4d8e-9f00-1234567890ab';
    await sql(`insert into "${schema}"."asyncTasks" (id, origin, type, title, status, "createdById", "ownerNode", "leaseUntil", fence) values ($1, 'items', 'export', 'Export ghost', 0, $2, 'ghost', now() + interval '1 hour', 1)`, [id, userId]);
    const before = subscribers();
    const abort = new AbortController();
    const res = await fetch(`${api.base}/asyncTasks:progress?filterByTk=${id}`, { headers: { authorization: `Bearer ${root}` }, signal: abort.signal });
    const first = new TextDecoder().decode((await res.body!.getReader().read()).value);
    expect(first).toContain('"status":0');
    expect(subscribers()).toBe(before + 1);
    abort.abort();
    while (subscribers() > before) await new Promise((r) => setTimeout(r, 50));
    expect(subscribers()).toBe(before);
  });

  test('a csv export whose reader leaves mid-file ends (no wait for a drain that never comes) and so ends its cursor transaction', async () => {
    await sql(`insert into "${schema}".items (id, title, qty) select g, 'bulk-' || g, g from generate_series(1000000, 1030000) g`);
    const state = nodeState(broker);
    const data = (await appsOf(broker).get('main')).data;
    const out = new PassThrough();
    let chunks = 0;
    out.on('data', () => {
      if (++chunks === 2) out.destroy(); // the client went away; nothing reads any more
    });
    const input = { meta: data.collections.require('items'), lookup: (n: string) => data.collections.get(n), format: 'csv' as const, columns: TITLE, batchSize: 1000 };
    await expect(writeExport(state.services().database.fork(appsOf(broker).schemaOf('main')) as EntityManager, input, out)).rejects.toThrow('closed before the end');
    // Rejecting (rather than hanging on a drain) is what ends the cursor's transaction: writeExport runs
    // it in em.transactional, which rolls back on the throw. (pg_stat_activity is not checked: other
    // suites' exports on the same server use the same cursor name.)
    await sql(`delete from "${schema}".items where title like 'bulk-%'`);
  });

  test('stopping an import before any node claimed it removes its staged file', async () => {
    const [{ id: userId }] = await sql(`select id from "${schema}".users where username = 'nocobase'`);
    const id = '8b3de2a4-3b7c-4d8e-9f00-1234567890ab';
    const staged = 'tmp/uploads/8b3de2a4-3b7c-4d8e-9f00-1234567890ab-p.csv';
    mkdirSync(join(storage, 'tmp', 'uploads'), { recursive: true });
    writeFileSync(join(storage, staged), 'Title\nx\n');
    await sql(`insert into "${schema}"."asyncTasks" (id, origin, type, title, params, "createdById", "inputPath") values ($1, 'items', 'import', 'Import p.csv', '{}', $2, $3)`, [id, userId, staged]);
    const res = await api.call('POST', `asyncTasks:stop?filterByTk=${id}`, undefined, root);
    expect(res).toMatchObject({ status: 202, body: { data: { status: -2 } } });
    expect(existsSync(join(storage, staged))).toBe(false);
  });

  test('a task that fails for an internal reason reports CB_ERR_INTERNAL, not a message naming server paths', async () => {
    const [{ id: userId }] = await sql(`select id from "${schema}".users where username = 'nocobase'`);
    const id = '9c4de2a4-3b7c-4d8e-9f00-1234567890ab';
    const params = { collection: 'items', format: 'csv', columns: TITLE, mode: 'insert', allOrNothing: false, triggerWorkflows: false, fileName: 'gone.csv' };
    // Its staged file is gone (e.g. removed by hand); created "long ago", so the sweep queues it at once.
    await sql(
      `insert into "${schema}"."asyncTasks" (id, origin, type, title, params, "createdById", "inputPath", "createdAt") values ($1, 'items', 'import', 'Import gone.csv', $2, $3, $4, now() - interval '1 hour')`,
      [id, JSON.stringify(params), userId, 'tmp/uploads/9c4de2a4-3b7c-4d8e-9f00-1234567890ab-gone.csv'],
    );
    const task = await waitForTask(api, id, root);
    expect(task).toMatchObject({ status: -1, result: { code: 'CB_ERR_INTERNAL' } });
    expect(JSON.stringify(task.result)).not.toContain(storage);
    expect(JSON.stringify(task.result)).not.toContain('ENOENT');
  });
});
