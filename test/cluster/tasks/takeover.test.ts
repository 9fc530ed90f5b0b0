import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { clusterEnv } from '../../support/cluster-env';
import { ROOT_PASSWORD } from '../../support/root';
import { spawnNode, tempStorage, type NodeProcess } from '../../support/node-process';
import { requireServices } from '../../support/services';
import { client, readXlsx, sql, waitForTask, type Client } from '../../integration/tasks/support';
import type { Json } from '../../support/http';

const ROWS = 200_000;
const IMPORT_ROWS = 50_000;
/** Rows of the import file that are bad (a non-number qty), by data row number. */
const BAD = [7, 4_999, 12_345, 30_000, 49_998];

/**
 * One gateway node (`WORKER_MODE=!`) and two task nodes over NATS, Redis (queue, sync, lock) and one
 * PostgreSQL, sharing STORAGE_PATH. Leases and sweeps are short so takeovers happen within seconds.
 */
describe('async tasks across processes', () => {
  const schema = uniqueSchema('tkc');
  const namespace = `t${randomBytes(4).toString('hex')}`;
  const storage = tempStorage();
  let gateway: NodeProcess;
  const workers = new Map<string, NodeProcess>();
  let api: Client;
  let token: string;

  const env = {
    ...clusterEnv({ schema, namespace, storage, appKey: 'tasks-cluster-shared-app-key-b2cb4c92a8d9f5df56fda3a4', aesKey: 'a2ce251ee1926bca9d77b10f963b6758315fd924b984b8a7d554981b4409ef52' }),
    ASYNC_TASK_LEASE: '1.5',
    ASYNC_TASK_SWEEP_INTERVAL: '0.5',
    ASYNC_TASK_BATCH_SIZE: '1000',
    EXPORT_INLINE_MAX_ROWS: '10',
  };
  const startWorker = async (name: string) => {
    const node = await spawnNode({ env: { ...env, NODE_ID: `${namespace}-${name}`, WORKER_MODE: 'async-task:process' } });
    await node.waitForReady();
    workers.set(`${namespace}-${name}`, node);
    return node;
  };
  const task = async (id: string) => (await sql(`select * from "${schema}"."asyncTasks" where id = $1`, [id]))[0];
  const until = async (id: string, check: (t: Json) => boolean) => {
    for (;;) {
      const t = await task(id);
      if (check(t)) return t;
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  beforeAll(async () => {
    await requireServices('postgres', 'redis', 'nats');
    gateway = await spawnNode({ env: { ...env, NODE_ID: `${namespace}-gw`, WORKER_MODE: '!' } });
    await gateway.waitForReady();
    await Promise.all([startWorker('w1'), startWorker('w2')]);
    api = client(`http://127.0.0.1:${gateway.appPort}/api`);
    token = await api.signIn('nocobase', ROOT_PASSWORD);
    const fields = [
      { name: 'title', type: 'string' },
      { name: 'n', type: 'integer' },
      { name: 'flag', type: 'boolean' },
    ];
    expect((await api.call('POST', 'collections:create', { name: 'big', fields }, token)).status).toBe(200);
    expect((await api.call('POST', 'collections:create', { name: 'imported', fields }, token)).status).toBe(200);
    await sql(`insert into "${schema}".big (id, title, n, flag, "createdAt", "updatedAt") select g, 'row-' || g, g, g % 2 = 0, now(), now() from generate_series(1, ${ROWS}) g`);
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), ...[...workers.values()].map((w) => w.stop())]);
    await dropSchemas(schema);
  });

  const exportColumns = [
    { dataIndex: ['id'], defaultTitle: 'ID' },
    { dataIndex: ['title'], defaultTitle: 'Title' },
    { dataIndex: ['n'], defaultTitle: 'N' },
    { dataIndex: ['flag'], defaultTitle: 'Flag' },
  ];

  test(`an export of ${ROWS.toLocaleString('en-US')} rows completes with a complete, correct xlsx`, async () => {
    const res = await api.call('POST', 'big:export?title=big', { columns: exportColumns }, token);
    expect(res.status).toBe(202);
    const done = await waitForTask(api, res.body.data.id, token);
    expect(done).toMatchObject({ status: 1, progressCurrent: ROWS, progressTotal: ROWS, result: { rows: ROWS } });
    const file = await api.raw('GET', `asyncTasks:fetchFile?filterByTk=${done.id}`, undefined, token);
    expect(file.status).toBe(200);
    const sheet = await readXlsx(file.bytes);
    expect(sheet).toHaveLength(ROWS + 1);
    expect(sheet[0]).toEqual(['ID', 'Title', 'N', 'Flag']);
    expect(sheet[1]).toEqual([1, 'row-1', 1, false]);
    expect(sheet[ROWS]).toEqual([ROWS, `row-${ROWS}`, ROWS, true]);
    expect(new Set(sheet.slice(1).map((r) => r[0])).size).toBe(ROWS);
  });

  test('kill -9 of the node running an export: another node takes over and the file is complete', async () => {
    const res = await api.call('POST', 'big:export?title=big-csv&format=csv', { columns: exportColumns }, token);
    const id = res.body.data.id;
    const running = await until(id, (t) => t.status === 0 && t.progressCurrent >= 5000);
    const owner = workers.get(running.ownerNode)!;
    owner.signal('SIGKILL');
    await owner.exited;
    workers.delete(running.ownerNode);
    const done = await waitForTask(api, id, token);
    expect(done.status).toBe(1);
    const after = await task(id);
    expect(after.ownerNode).not.toBe(running.ownerNode);
    expect(Number(after.fence)).toBeGreaterThan(Number(running.fence));
    const text = readFileSync(join(storage, after.filePath), 'utf8').replace(/^\uFEFF/, '');
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(ROWS + 1);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(ROWS);
    await startWorker('w3');
  });

  test('a node stopping gracefully mid-export releases the task, and another node finishes it', async () => {
    const res = await api.call('POST', 'big:export?title=big-stop&format=csv', { columns: exportColumns }, token);
    const id = res.body.data.id;
    const running = await until(id, (t) => t.status === 0 && t.progressCurrent >= 5000);
    const owner = workers.get(running.ownerNode)!;
    workers.delete(running.ownerNode);
    await owner.stop();
    expect(owner.output()).toContain('released for takeover');
    const done = await waitForTask(api, id, token);
    expect(done).toMatchObject({ status: 1, result: { rows: ROWS } });
    expect((await task(id)).ownerNode).not.toBe(running.ownerNode);
    await startWorker('w5');
  });

  const importFile = () => {
    const lines = ['Title,N,Flag'];
    for (let i = 1; i <= IMPORT_ROWS; i++) lines.push(`imp-${i},${BAD.includes(i) ? 'oops' : i},${i % 2 === 0}`);
    return Buffer.from(lines.join('\n'));
  };
  const importColumns = JSON.stringify([
    { dataIndex: ['title'], defaultTitle: 'Title' },
    { dataIndex: ['n'], defaultTitle: 'N' },
    { dataIndex: ['flag'], defaultTitle: 'Flag' },
  ]);

  test(`kill -9 mid-import of ${IMPORT_ROWS.toLocaleString('en-US')} rows: resumed by another node, no duplicates, exactly the bad rows reported`, async () => {
    const res = await api.upload('imported:importCsv', importFile(), 'rows.csv', { columns: importColumns }, token);
    expect(res.status).toBe(202);
    const id = res.body.data.id;
    const running = await until(id, (t) => t.status === 0 && t.committedBatch >= 3);
    const owner = workers.get(running.ownerNode)!;
    owner.signal('SIGKILL');
    await owner.exited;
    workers.delete(running.ownerNode);
    const done = await waitForTask(api, id, token);
    expect(done.status).toBe(1);
    expect(done.result).toMatchObject({ inserted: IMPORT_ROWS - BAD.length, updated: 0, rejected: BAD.length });
    expect(done.result.rejectedRows).toEqual(BAD.map((row) => ({ row, column: 'N', reason: expect.stringContaining('oops') })));
    const [counts] = await sql(`select count(*)::int as n, count(distinct title)::int as titles from "${schema}".imported`);
    expect(counts).toEqual({ n: IMPORT_ROWS - BAD.length, titles: IMPORT_ROWS - BAD.length });
    expect(Number((await task(id)).attempts)).toBeGreaterThanOrEqual(2);
    await startWorker('w4');
  });

  test('stop mid-import: stops within a batch and reports exactly what was committed', async () => {
    await sql(`delete from "${schema}".imported`);
    const res = await api.upload('imported:importCsv', importFile(), 'rows.csv', { columns: importColumns }, token);
    const id = res.body.data.id;
    await until(id, (t) => t.status === 0 && t.committedBatch >= 2);
    expect((await api.call('POST', `asyncTasks:stop?filterByTk=${id}`, undefined, token)).status).toBe(202);
    const done = await waitForTask(api, id, token);
    expect(done.status).toBe(-2);
    const [{ n }] = await sql(`select count(*)::int as n from "${schema}".imported`);
    expect(done.result.inserted).toBe(n);
    expect(n).toBeLessThan(IMPORT_ROWS - BAD.length);
    expect((await api.call('POST', `asyncTasks:stop?filterByTk=${id}`, undefined, token)).status).toBe(400);
  });

  test('the WORKER_MODE=! node never ran a task', async () => {
    const owners = await sql(`select distinct "ownerNode" from "${schema}"."asyncTasks"`);
    expect(owners.length).toBeGreaterThan(0);
    expect(owners.map((o) => o.ownerNode)).not.toContain(`${namespace}-gw`);
    expect(gateway.output()).not.toMatch(/claimed by/);
  });
});
