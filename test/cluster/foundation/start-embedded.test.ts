import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnNode, tempStorage, type NodeProcess } from '../../support/node-process';

function postgresRunningOn(dataDir: string): boolean {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').some((line) => line.includes('postgres') && line.includes(dataDir));
}

describe('`npm start` with an empty environment', () => {
  const storage = tempStorage();
  const dataDir = join(storage, 'db', 'postgres');
  let node: NodeProcess;

  beforeAll(async () => {
    // The real command from the README, with nothing configured but where to listen and store.
    node = await spawnNode({ command: ['npm', 'start', '--silent'], env: { STORAGE_PATH: storage } });
    await node.waitForReady();
  });

  afterAll(async () => {
    await node?.stop();
  });

  test('comes up on an embedded PostgreSQL under STORAGE_PATH and answers the health check with ok', async () => {
    const res = await fetch(`http://127.0.0.1:${node.appPort}/api/__health_check`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(postgresRunningOn(dataDir)).toBe(true);
  });

  test('loads every service (requests role and all processors) and reports them on /readyz', async () => {
    const report = (await (await fetch(`http://127.0.0.1:${node.healthPort}/readyz`)).json()) as {
      ready: boolean;
      workerMode: string;
      services: string[];
      checks: Record<string, { ok: boolean }>;
    };
    expect(report.ready).toBe(true);
    expect(report.workerMode).toBe('');
    expect(report.services).toEqual(expect.arrayContaining(['api', 'data', 'workflow', 'async-task']));
    expect(report.checks.database!.ok).toBe(true);
    expect(report.checks.transporter).toBeUndefined(); // a local broker: no network
  });

  test('answers liveness on the management port', async () => {
    const res = await fetch(`http://127.0.0.1:${node.healthPort}/healthz`);
    expect(res.status).toBe(200);
  });

  test('Ctrl-C (SIGINT to the process group) stops npm start and the embedded PostgreSQL with it', async () => {
    node.signal('SIGINT');
    await node.exited;
    // npm itself exits at once; the node behind it finishes its stop (and PostgreSQL's) after.
    await node.groupExited();
    expect(node.output()).toMatch(/SIGINT received: draining and stopping/);
    expect(postgresRunningOn(dataDir)).toBe(false);
  });

  test('a restart reuses the data; SIGTERM exits 0 after stopping PostgreSQL', async () => {
    node = await spawnNode({ env: { STORAGE_PATH: storage } });
    await node.waitForReady();
    expect(node.output()).not.toMatch(/initialising the embedded PostgreSQL/);
    expect(await (await fetch(`http://127.0.0.1:${node.appPort}/api/__health_check`)).text()).toBe('ok');
    expect(await node.stop()).toBe(0);
    expect(postgresRunningOn(dataDir)).toBe(false);
    node = await spawnNode({ env: { STORAGE_PATH: storage } });
    await node.waitForReady();
  });

  test('a node killed with SIGKILL leaves an orphaned PostgreSQL that the next start takes over', async () => {
    node.signal('SIGKILL');
    await node.exited;
    expect(postgresRunningOn(dataDir)).toBe(true);

    node = await spawnNode({ env: { STORAGE_PATH: storage } });
    await node.waitForReady();
    expect(node.output()).toMatch(/left running by a node that died/);
    expect(await (await fetch(`http://127.0.0.1:${node.appPort}/api/__health_check`)).text()).toBe('ok');
  });

  test('a second node on the same embedded data directory is refused with the fix', async () => {
    const second = await spawnNode({ env: { STORAGE_PATH: storage } });
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/clusterbase refused to start: STORAGE_PATH: the embedded PostgreSQL .* is in use by another clusterbase process .* set DB_HOST or DATABASE_URL/);
  });
});
