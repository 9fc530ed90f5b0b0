import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ApiService = require('../../services/api.service');
import AsyncTaskApiService = require('../../services/async-task-api.service');
import AuthService = require('../../services/auth.service');
import DataService = require('../../services/data.service');
import { loadConfig } from '../../shared/config';
import { dropSchemas, uniqueSchema } from '../support/database';
import { startInProcessNode, type InProcessNode } from '../support/in-process-node';
import { addMember, client, waitForTask, xlsxOf, type Client } from '../integration/tasks/support';
import { startAbuseNode, sql, type AbuseNode } from './support';

const staged = (storage: string) => {
  const dir = join(storage, 'tmp', 'uploads');
  return existsSync(dir) ? readdirSync(dir) : [];
};
const COLUMNS = [{ dataIndex: ['title'], defaultTitle: 'Title' }];
const exportAsync = (api: Client, token: string) => api.call('POST', 'items:export?async=true&format=csv&title=dump', { columns: COLUMNS }, token);

async function withItems(api: Client, admin: string) {
  expect((await api.call('POST', 'collections:create', { name: 'items', fields: [{ name: 'title', type: 'string' }] }, admin)).status).toBe(200);
  expect((await api.call('POST', 'items:create', [{ title: 'a' }, { title: 'b' }], admin)).status).toBe(200);
}

/**
 * Item 8: ten async exports by one member added 383 MB to shared storage, kept 7 days, with no way to
 * delete them, on the volume that also holds the embedded database. Now: per-user limits on pending
 * and stored tasks (429 naming the setting), `asyncTasks:destroy` for one's own tasks (the file goes),
 * and a free-space floor on STORAGE_PATH (507 naming STORAGE_MIN_FREE).
 */
describe('abuse: task storage', () => {
  describe('stored task files', () => {
    let n: AbuseNode;

    beforeAll(async () => {
      n = await startAbuseNode({ ASYNC_TASK_MAX_STORED_PER_USER: '2' });
      await withItems(n.api, n.admin);
    });

    afterAll(async () => {
      await n?.stop();
    });

    test('past ASYNC_TASK_MAX_STORED_PER_USER a 429 names it; destroying a task removes its file and frees a place', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await exportAsync(n.api, n.member);
        expect(res.status).toBe(202);
        ids.push(res.body.data.id);
        expect((await waitForTask(n.api, res.body.data.id, n.member)).status).toBe(1);
      }
      const refused = await exportAsync(n.api, n.member);
      expect(refused.status).toBe(429);
      expect(refused.body.errors![0]).toMatchObject({ code: 'CB_ERR_TASK_LIMIT' });
      expect(refused.body.errors![0]!.message).toContain('ASYNC_TASK_MAX_STORED_PER_USER (2)');
      // An import is refused too, and nothing is staged.
      const upload = await n.api.upload('items:importXlsx', await xlsxOf([['Title'], ['x']]), 'in.xlsx', { columns: JSON.stringify(COLUMNS) }, n.member);
      expect(upload.status).toBe(429);
      expect(staged(n.node.config.storagePath)).toEqual([]);
      // Another user's limit is their own.
      expect((await exportAsync(n.api, n.admin)).status).toBe(202);

      const [row] = await sql<{ filePath: string }>(`select "filePath" from "${n.schema}"."asyncTasks" where "id" = $1`, [ids[0]]);
      const file = join(n.node.config.storagePath, row!.filePath);
      expect(existsSync(file)).toBe(true);
      const destroyed = await n.api.call('POST', `asyncTasks:destroy?filterByTk=${ids[0]}`, undefined, n.member);
      expect(destroyed.status).toBe(200);
      expect(destroyed.body.data.id).toBe(ids[0]);
      expect(existsSync(file)).toBe(false);
      expect(existsSync(dirname(file))).toBe(false);
      expect((await n.api.call('GET', `asyncTasks:get?filterByTk=${ids[0]}`, undefined, n.member)).body.data).toBeNull();
      expect((await exportAsync(n.api, n.member)).status).toBe(202);
    });

    test("another user's task is a 404 to destroy and stays; an admin may destroy any", async () => {
      await addMember(n.schema, 'bob', 'bob-pass-123');
      const bob = await n.api.signIn('bob', 'bob-pass-123');
      const mine = await exportAsync(n.api, bob);
      expect(mine.status).toBe(202);
      await waitForTask(n.api, mine.body.data.id, bob);
      const attempt = await n.api.call('POST', `asyncTasks:destroy?filterByTk=${mine.body.data.id}`, undefined, n.member);
      expect(attempt.status).toBe(404);
      expect((await n.api.call('GET', `asyncTasks:get?filterByTk=${mine.body.data.id}`, undefined, bob)).body.data).not.toBeNull();
      expect((await n.api.call('POST', `asyncTasks:destroy?filterByTk=${mine.body.data.id}`, undefined, n.admin)).status).toBe(200);
      expect((await n.api.call('GET', `asyncTasks:get?filterByTk=${mine.body.data.id}`, undefined, bob)).body.data).toBeNull();
      expect((await n.api.call('POST', `asyncTasks:destroy?filterByTk=${mine.body.data.id}`, undefined, n.admin)).status).toBe(404);
    });
  });

  describe('pending tasks (a node without a task runner: tasks stay pending)', () => {
    const schema = uniqueSchema('abq');
    let node: InProcessNode;
    let api: Client;
    let admin: string;
    let member: string;

    beforeAll(async () => {
      node = await startInProcessNode(schema, [ApiService, AuthService, DataService, AsyncTaskApiService], {
        APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde',
        ASYNC_TASK_MAX_PENDING_PER_USER: '2',
      });
      api = client(node.api);
      admin = await api.signIn();
      await addMember(schema, 'mallory', 'mallory-pass-1');
      member = await api.signIn('mallory', 'mallory-pass-1');
      await withItems(api, admin);
    });

    afterAll(async () => {
      await node?.broker.stop();
      await dropSchemas(schema);
    });

    test('past ASYNC_TASK_MAX_PENDING_PER_USER a 429 names it; destroying a pending task cancels it and frees a place', async () => {
      const first = await exportAsync(api, member);
      expect(first.status).toBe(202);
      expect((await exportAsync(api, member)).status).toBe(202);
      const refused = await exportAsync(api, member);
      expect(refused.status).toBe(429);
      expect(refused.body.errors![0]!.message).toContain('ASYNC_TASK_MAX_PENDING_PER_USER (2)');
      expect((await api.call('POST', `asyncTasks:destroy?filterByTk=${first.body.data.id}`, undefined, member)).status).toBe(200);
      expect((await exportAsync(api, member)).status).toBe(202);
    });

    test('concurrent requests of one user cannot pass the limit together', async () => {
      await addMember(schema, 'burst', 'burst-pass-123');
      const burst = await api.signIn('burst', 'burst-pass-123');
      const answers = await Promise.all(Array.from({ length: 10 }, () => exportAsync(api, burst)));
      expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 429, 429, 429, 429, 429, 429, 429, 429]);
    });

    test('a running task is a 409 to destroy', async () => {
      const res = await exportAsync(api, admin);
      await sql(`update "${schema}"."asyncTasks" set "status" = 0, "leaseUntil" = now() + interval '1 hour' where "id" = $1`, [res.body.data.id]);
      const attempt = await api.call('POST', `asyncTasks:destroy?filterByTk=${res.body.data.id}`, undefined, admin);
      expect(attempt.status).toBe(409);
      expect(attempt.body.errors![0]!.message).toContain('asyncTasks:stop');
    });
  });

  describe('free space', () => {
    let n: AbuseNode;

    beforeAll(async () => {
      // More than any test machine's volume has free.
      n = await startAbuseNode({ STORAGE_MIN_FREE: String(2 ** 52) });
      await withItems(n.api, n.admin);
    });

    afterAll(async () => {
      await n?.stop();
    });

    test('below STORAGE_MIN_FREE an async export and an import are a 507 naming it; nothing is staged', async () => {
      const res = await exportAsync(n.api, n.member);
      expect(res.status).toBe(507);
      expect(res.body.errors![0]).toMatchObject({ code: 'CB_ERR_TASK_STORAGE_FULL' });
      expect(res.body.errors![0]!.message).toContain('STORAGE_MIN_FREE');
      const upload = await n.api.upload('items:importXlsx', await xlsxOf([['Title'], ['x']]), 'in.xlsx', { columns: JSON.stringify(COLUMNS) }, n.member);
      expect(upload.status).toBe(507);
      expect(staged(n.node.config.storagePath)).toEqual([]);
      expect(Number((await sql(`select count(*)::int as c from "${n.schema}"."asyncTasks"`))[0].c)).toBe(0);
      // Inline exports write nothing to STORAGE_PATH and still work.
      expect((await n.api.raw('POST', 'items:export?format=csv', { columns: COLUMNS }, n.member)).status).toBe(200);
    });
  });

  test.each([
    ['ASYNC_TASK_MAX_PENDING_PER_USER', '0'],
    ['ASYNC_TASK_MAX_STORED_PER_USER', 'many'],
    ['STORAGE_MIN_FREE', '-1'],
    ['IMPORT_XLSX_MAX_UNCOMPRESSED', 'big'],
    ['IMPORT_XLSX_MAX_SHARED_STRINGS', '0'],
    ['IMPORT_XLSX_MAX_ENTRIES', '1.5'],
  ])('a bad %s refuses the start, naming it', (name, value) => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x@localhost/x' })).not.toThrow();
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x@localhost/x', [name]: value })).toThrow(new RegExp(name));
  });
});
