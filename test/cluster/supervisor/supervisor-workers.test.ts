import { randomBytes, randomUUID } from 'node:crypto';
import { RedisCommandBus } from '../../../shared/supervisor';
import { freePort } from '../../../shared/db/free-port';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { spawnNode, tempStorage, type NodeProcess } from '../../support/node-process';
import { requireServices, SERVICES } from '../../support/services';
import type { Browser } from 'playwright-core';
import pg from 'pg';
import { existsSync } from 'node:fs';
import { launchChromium, openAdmin, screenshot } from './admin-browser';
import { APP_ROOT_PASSWORD, ROOT_PASSWORD } from '../../support/root';
import type { Body } from '../../support/http';


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A supervisor and two worker environments as real processes on the machine's Redis and PostgreSQL
 * (no transporter between them: commands and heartbeats go over Redis).
 */
describe('supervisor with worker environments env_a and env_b', () => {
  const namespace = `t${randomBytes(4).toString('hex')}`;
  const schemas = { supervisor: uniqueSchema('sup'), env_a: uniqueSchema('enva'), env_b: uniqueSchema('envb') };
  const shop = `shop_${randomBytes(3).toString('hex')}`;
  const both = `both_${randomBytes(3).toString('hex')}`;
  const own = `own_${randomBytes(3).toString('hex')}`;
  const storage = tempStorage();
  const common = {
    DATABASE_URL: testDatabaseUrl(),
    STORAGE_PATH: storage,
    APP_KEY: 'supervisor-cluster-test-key-6d95ec77fe500fd8a0e7ab8d',
    APP_AES_SECRET_KEY: 'a2ce251ee1926bca9d77b10f963b6758315fd924b984b8a7d554981b4409ef52',
    INIT_ROOT_PASSWORD: ROOT_PASSWORD,
    NAMESPACE: namespace,
    APP_DISCOVERY_ADAPTER: 'remote',
    APP_COMMAND_ADAPTER: 'redis',
    APP_SUPERVISOR_REDIS_URL: SERVICES.redis.url,
    APP_COMMAND_REDIS_URL: SERVICES.redis.url,
    APP_COMMAND_ACK_TIMEOUT: '3',
    APP_COMMAND_TIMEOUT: '60',
    ENVIRONMENT_HEARTBEAT_INTERVAL: '0.5',
    ENVIRONMENT_HEARTBEAT_GRACE: '1',
  };
  let supervisor: NodeProcess;
  const workers: Record<string, NodeProcess> = {};
  const ports: Record<string, number> = {};
  let token: string;
  let browser: Browser | undefined;

  const startWorker = async (name: 'env_a' | 'env_b') => {
    const node = await spawnNode({
      appPort: ports[name],
      env: {
        ...common,
        APP_MODE: 'worker',
        APP_PROCESS_ADAPTER: 'local',
        DB_SCHEMA: schemas[name],
        ENVIRONMENT_NAME: name,
        ENVIRONMENT_URL: `http://127.0.0.1:${ports[name]}`,
        NODE_ID: `${namespace}-${name}`,
      },
    });
    workers[name] = node;
    await node.waitForReady();
    return node;
  };

  const call = async (port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const admin = (method: string, path: string, body?: unknown) => call(supervisor.appPort, method, path, body, { authorization: `Bearer ${token}` });
  const environment = async (name: string) => (await admin('GET', `/api/environments:get?filterByTk=${name}`)).body.data as { available: boolean; version: string; lastHeartbeat: number };
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (;;) {
      if (await check()) return;
      await sleep(100);
      if (supervisor.child.exitCode !== null) throw new Error(`supervisor exited while waiting for ${what}:\n${supervisor.output()}`);
    }
  };
  const signInThroughProxy = async (app: string, query = '') => {
    const res = await call(supervisor.appPort, 'POST', `/apps/${app}/api/auth:signIn${query}`, { account: 'nocobase', password: APP_ROOT_PASSWORD });
    return res;
  };

  beforeAll(async () => {
    await requireServices('postgres', 'redis');
    ports.env_a = await freePort();
    ports.env_b = await freePort();
    supervisor = await spawnNode({
      env: { ...common, APP_MODE: 'supervisor', APP_PROCESS_ADAPTER: 'remote', DB_SCHEMA: schemas.supervisor, NODE_ID: `${namespace}-supervisor` },
    });
    await supervisor.waitForReady();
    await Promise.all([startWorker('env_a'), startWorker('env_b')]);
    token = (await call(supervisor.appPort, 'POST', '/api/auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token;
    await until('both environments', async () => (await environment('env_a'))?.available === true && (await environment('env_b'))?.available === true);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([supervisor?.stop(), ...Object.values(workers).map((w) => w.stop())]);
    await dropSchemas(...Object.values(schemas), `app_${shop}`, `app_${both}`);
    const pgAdmin = new pg.Client({ connectionString: testDatabaseUrl() });
    await pgAdmin.connect();
    await pgAdmin.query(`drop database if exists "cb_app_${own}" with (force)`).finally(() => pgAdmin.end());
  });

  test('workers register with their version and URL', async () => {
    const list = (await admin('GET', '/api/environments:list')).body.data as Array<{ name: string; url: string; version: string; available: boolean }>;
    expect(list.map((e) => e.name)).toEqual(['env_a', 'env_b']);
    expect(list[0]).toMatchObject({ url: `http://127.0.0.1:${ports.env_a}`, available: true });
    expect(list[0]!.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('an app created on env_a starts there and serves records through /apps/<app>/api on the supervisor port', async () => {
    const created = await admin('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: shop, displayName: 'Shop', environments: ['env_a'] });
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.statuses.env_a.status).toBe('running');

    const signedIn = await signInThroughProxy(shop);
    expect(signedIn.status).toBe(200);
    const auth = { authorization: `Bearer ${signedIn.body.data.token}` };
    expect((await call(supervisor.appPort, 'POST', `/apps/${shop}/api/collections:create`, { name: 'orders', fields: [{ name: 'title', type: 'string' }] }, auth)).status).toBe(200);
    const record = await call(supervisor.appPort, 'POST', `/apps/${shop}/api/orders:create`, { title: 'through the proxy' }, auth);
    expect(record.status).toBe(200);
    const listed = await call(supervisor.appPort, 'GET', `/apps/${shop}/api/orders:list`, undefined, auth);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((r: { title: string }) => r.title)).toEqual(['through the proxy']);
  });

  test('env_b refuses the app assigned to env_a (403), and an unknown app (404)', async () => {
    const refused = await call(ports.env_b!, 'POST', '/api/auth:signIn', { account: 'nocobase', password: APP_ROOT_PASSWORD }, { 'x-app': shop });
    expect(refused.status).toBe(403);
    expect(refused.body.errors![0]!.code).toBe('CB_ERR_SUPERVISOR_APP_NOT_HOSTED');
    expect((await call(ports.env_b!, 'POST', '/api/auth:signIn', { account: 'x', password: 'y' }, { 'x-app': 'nosuchapp' })).status).toBe(404);
    expect((await signInThroughProxy('nosuchapp')).status).toBe(404);
  });

  test('env_b refuses a command for the app of env_a sent straight over Redis, whatever the command claims', async () => {
    const bus = new RedisCommandBus(SERVICES.redis.url, `cb:${namespace}:apps:`, { warn: () => undefined, error: () => undefined });
    await bus.connect();
    try {
      const config = { name: shop, displayName: 'Shop', database: { kind: 'schema' as const, schema: `app_${shop}` }, environments: ['env_b'] };
      const outcome = await bus.send('env_b', { id: randomUUID(), type: 'start', app: shop, config, ackBy: Date.now() + 3000 }, { ackTimeoutMs: 3000, timeoutMs: 10_000 });
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toContain('not assigned to environment "env_b"');
    } finally {
      await bus.close();
    }
  });

  test('an app on both environments starts on env_a, then env_b (no overlap); the proxy needs a pick', async () => {
    const created = await admin('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: both, environments: ['env_a', 'env_b'] });
    expect(created.body.errors).toBeUndefined();
    const { env_a, env_b } = created.body.data.statuses;
    expect(env_a.status).toBe('running');
    expect(env_b.status).toBe('running');
    expect(new Date(env_a.finishedAt).getTime()).toBeLessThanOrEqual(new Date(env_b.startedAt).getTime());

    const unpicked = await signInThroughProxy(both);
    expect(unpicked.status).toBe(400);
    expect(unpicked.body.errors![0]!.message).toContain('env_a, env_b');
    expect((await signInThroughProxy(both, '?environment=env_b')).status).toBe(200);
    const byHeader = await call(supervisor.appPort, 'POST', `/apps/${both}/api/auth:signIn`, { account: 'nocobase', password: APP_ROOT_PASSWORD }, { 'x-environment': 'env_a' });
    expect(byHeader.status).toBe(200);

    const stopped = await admin('POST', `/api/applications:stop?filterByTk=${both}`);
    expect(stopped.body.data.statuses).toMatchObject({ env_a: { status: 'stopped' }, env_b: { status: 'stopped' } });
    // Each environment refuses it at once, not after its next registry refresh.
    for (const env of ['env_a', 'env_b'] as const) {
      const direct = await call(ports[env]!, 'POST', '/api/auth:signIn', { account: 'nocobase', password: APP_ROOT_PASSWORD }, { 'x-app': both });
      expect(direct.status).toBe(503);
    }
    expect((await signInThroughProxy(both, '?environment=env_a')).status).toBe(503);
  });

  test('the /admin page in Chromium shows environments and apps, and creates, stops and starts an app', async () => {
    browser = await launchChromium();
    const page = await openAdmin(browser, `http://127.0.0.1:${supervisor.appPort}`);
    await page.waitForSelector(`#apps tr[data-app="${shop}"] [data-status-env="env_a"]:text("running")`);
    expect(await page.textContent('#environments tr[data-env="env_b"] .status')).toBe('available');

    const ui = `ui_${shop}`;
    await page.fill('#create-app input[name=name]', ui);
    await page.fill('#create-app input[name=environments]', 'env_b');
    await page.click('#create-app button');
    const status = `#apps tr[data-app="${ui}"] [data-status-env="env_b"]`;
    await page.waitForSelector(`${status}:text("running")`);
    await page.click(`#apps tr[data-app="${ui}"] button[data-action=stop]`);
    await page.waitForSelector(`${status}:text("stopped")`);
    await page.click(`#apps tr[data-app="${ui}"] button[data-action=start]`);
    await page.waitForSelector(`${status}:text("running")`);
    // The app serves (a 401, not a 503): the page created it with a generated root password of its own,
    // which the page does not show yet, so the test password is refused.
    expect((await signInThroughProxy(ui)).status).toBe(401);
    await page.close();
    await admin('POST', `/api/applications:destroy?filterByTk=${ui}&dropData=true`);
    await dropSchemas(`app_${ui}`);
  });

  test('kill -9 env_a: after the grace period it is unavailable and its apps answer 503; restarted, it serves again', async () => {
    workers.env_a!.signal('SIGKILL');
    await workers.env_a!.exited;
    await until('env_a unavailable', async () => (await environment('env_a')).available === false);
    expect((await environment('env_b')).available).toBe(true);
    const down = await signInThroughProxy(shop);
    expect(down.status).toBe(503);
    expect(down.body.errors![0]!.code).toBe('CB_ERR_SUPERVISOR_NO_ENVIRONMENT');
    expect(down.body.errors![0]!.message).toContain('env_a');

    const page = await openAdmin(browser ?? (browser = await launchChromium()), `http://127.0.0.1:${supervisor.appPort}`);
    await page.waitForSelector('#environments tr[data-env="env_a"] .status .badge:text-is("unavailable")');
    expect(await page.textContent('#environments tr[data-env="env_b"] .status')).toBe('available');
    expect(existsSync(await screenshot(page, 'supervisor-admin-env_a-down.png'))).toBe(true);

    await startWorker('env_a');
    await page.waitForSelector('#environments tr[data-env="env_a"] .status .badge:text-is("available")');
    await screenshot(page, 'supervisor-admin.png');
    await page.close();
    await until('env_a available again', async () => (await environment('env_a')).available === true);
    const signedIn = await signInThroughProxy(shop);
    expect(signedIn.status).toBe(200);
    const listed = await call(supervisor.appPort, 'GET', `/apps/${shop}/api/orders:list`, undefined, { authorization: `Bearer ${signedIn.body.data.token}` });
    expect(listed.body.data.map((r: { title: string }) => r.title)).toEqual(['through the proxy']);
  });

  test('an app in a database of its own on env_b serves through the proxy, also after env_b restarts', async () => {
    const created = await admin('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: own, environments: ['env_b'], database: { kind: 'database' } });
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data).toMatchObject({ database: { kind: 'database', name: `cb_app_${own}` }, statuses: { env_b: { status: 'running' } } });
    const auth = async () => ({ authorization: `Bearer ${(await signInThroughProxy(own)).body.data.token}` });
    let headers = await auth();
    expect((await call(supervisor.appPort, 'POST', `/apps/${own}/api/collections:create`, { name: 'notes', fields: [{ name: 'text', type: 'string' }] }, headers)).status).toBe(200);
    expect((await call(supervisor.appPort, 'POST', `/apps/${own}/api/notes:create`, { text: 'own database' }, headers)).status).toBe(200);

    const url = new URL(testDatabaseUrl());
    url.pathname = `/cb_app_${own}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      expect((await client.query(`select "text" from "app_${own}"."notes"`)).rows).toEqual([{ text: 'own database' }]);
    } finally {
      await client.end();
    }

    await workers.env_b!.stop();
    await startWorker('env_b');
    await until('env_b available again', async () => (await environment('env_b')).available === true);
    await until(`${own} served again`, async () => (await signInThroughProxy(own)).status === 200);
    headers = await auth();
    const listed = await call(supervisor.appPort, 'GET', `/apps/${own}/api/notes:list`, undefined, headers);
    expect(listed.body.data.map((r: { text: string }) => r.text)).toEqual(['own database']);
  });

  test('commands and their outcomes are recorded', async () => {
    const commands = (await admin('GET', `/api/applications:commands?filterByTk=${both}`)).body.data as Array<{ command: string; environment: string; status: string }>;
    expect(commands.map((c) => `${c.command}@${c.environment}:${c.status}`).sort()).toEqual(['start@env_a:succeeded', 'start@env_b:succeeded', 'stop@env_a:succeeded', 'stop@env_b:succeeded']);
  });
});
