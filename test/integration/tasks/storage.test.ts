import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import AsyncTaskApiService = require('../../../services/async-task-api.service');
import AsyncTaskService = require('../../../services/async-task.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';
import { client, sql, waitForTask, type Client } from './support';
import type { Json } from '../../support/http';

describe('task files on shared storage', () => {
  const schema = uniqueSchema('tst');
  let broker: ServiceBroker;
  let api: Client;
  let token: string;
  let storage: string;
  let management: string;

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, AsyncTaskApiService, AsyncTaskService], {
      EXPORT_INLINE_MAX_ROWS: '0',
      ASYNC_TASK_RETENTION: '1',
      ASYNC_TASK_SWEEP_INTERVAL: '0.2',
    });
    broker = node.broker;
    storage = node.config.storagePath;
    management = node.management;
    api = client(node.api);
    token = await api.signIn();
    await api.call('POST', 'collections:create', { name: 'notes', fields: [{ name: 'text', type: 'text' }] }, token);
    await api.call('POST', 'notes:create', [{ text: 'a' }, { text: 'b' }], token);
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('a finished file is removed after the retention period; fetching it then is a 400', async () => {
    const res = await api.call('POST', 'notes:export?title=notes&format=csv', {}, token);
    expect(res.status).toBe(202);
    const done = await waitForTask(api, res.body.data.id, token);
    expect(done.status).toBe(1);
    const [row] = await sql(`select "filePath" from "${schema}"."asyncTasks" where id = $1`, [done.id]);
    const file = join(storage, row.filePath);
    expect(existsSync(file)).toBe(true);
    while (existsSync(file)) await new Promise((r) => setTimeout(r, 100));
    const task = (await api.call('GET', `asyncTasks:get?filterByTk=${done.id}`, undefined, token)).body.data;
    expect(task.result).toMatchObject({ fileExpired: true });
    expect((await api.call('GET', `asyncTasks:fetchFile?filterByTk=${done.id}`, undefined, token)).status).toBe(400);
  });

  test('a task asked to stop whose node died is canceled by the sweep, reporting what it committed', async () => {
    const [{ id }] = await sql(
      `insert into "${schema}"."asyncTasks" (id, origin, type, title, status, "stopRequested", "leaseUntil", "ownerNode", checkpoint, "createdById")
       values (gen_random_uuid(), 'notes', 'import', 'Import x', 0, true, now() - interval '1 minute', 'dead-node', '{"counts":{"inserted":2000,"updated":0,"rejected":1,"rejectedRows":[]}}', null) returning id`,
    );
    let row: Json;
    do {
      await new Promise((r) => setTimeout(r, 100));
      [row] = await sql(`select status, result from "${schema}"."asyncTasks" where id = $1`, [id]);
    } while (row.status === 0);
    expect(row).toEqual({ status: -2, result: { canceled: true, committed: { inserted: 2000, updated: 0, rejected: 1, rejectedRows: [] } } });
  });

  test('a node that cannot write to STORAGE_PATH turns unready, and ready again once it can', async () => {
    expect((await fetch(`${management}/readyz`)).status).toBe(200);
    rmSync(join(storage, 'tmp'), { recursive: true, force: true });
    writeFileSync(join(storage, 'tmp'), 'not a folder');
    const unready = await fetch(`${management}/readyz`);
    expect(unready.status).toBe(503);
    expect(await unready.text()).toContain('STORAGE_PATH');
    rmSync(join(storage, 'tmp'));
    expect((await fetch(`${management}/readyz`)).status).toBe(200);
  });
});
