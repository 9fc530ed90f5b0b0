import { join } from 'node:path';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { DIST, ROOT, spawnNode, type NodeProcess } from '../../support/node-process';
import { requireServices } from '../../support/services';

interface Readiness {
  ready: boolean;
  workerMode: string;
  services: string[];
}

const readyz = async (node: NodeProcess) => (await (await fetch(`http://127.0.0.1:${node.healthPort}/readyz`)).json()) as Readiness;
const ownServices = (report: Readiness) => report.services.filter((s) => !s.startsWith('$')).sort();
const RUNNER = [process.execPath, join(ROOT, 'node_modules', 'moleculer', 'bin', 'moleculer-runner.js'), '--config', join(DIST, 'moleculer.config.js')];

describe('WORKER_MODE decides what a node runs', () => {
  const schema = uniqueSchema('wm');
  const db = () => ({ DATABASE_URL: testDatabaseUrl(), DB_SCHEMA: schema });
  const nodes: NodeProcess[] = [];
  const start = async (env: Record<string, string>, command?: string[]) => {
    const node = await spawnNode({ env: { ...db(), ...env }, command });
    nodes.push(node);
    return node;
  };

  beforeAll(async () => {
    await requireServices('postgres');
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await dropSchemas(schema);
  });

  test('WORKER_MODE=! serves the API and loads no processor', async () => {
    const node = await start({ WORKER_MODE: '!' });
    await node.waitForReady();
    const report = await readyz(node);
    expect(report.workerMode).toBe('!');
    expect(report.services).toEqual(expect.arrayContaining(['api', 'data']));
    expect(report.services).not.toContain('workflow');
    expect(report.services).not.toContain('async-task');
    expect(await (await fetch(`http://127.0.0.1:${node.appPort}/api/__health_check`)).text()).toBe('ok');
  });

  test('WORKER_MODE=workflow:process has no API port but answers /readyz', async () => {
    const node = await start({ WORKER_MODE: 'workflow:process' });
    await node.waitForReady();
    const report = await readyz(node);
    expect(report.services).toContain('workflow');
    expect(report.services).not.toContain('api');
    expect(report.services).not.toContain('async-task');
    await expect(fetch(`http://127.0.0.1:${node.appPort}/api/__health_check`)).rejects.toThrow();
  });

  test('WORKER_MODE=- runs neither requests nor processors, only the every-node services, and is still ready', async () => {
    const node = await start({ WORKER_MODE: '-' });
    await node.waitForReady();
    expect(ownServices(await readyz(node))).toEqual(['cluster', 'lock', 'worker-id']);
  });

  test.each([
    ['workflow', /^clusterbase refused to start: WORKER_MODE: unknown item "workflow"/m],
    ['!,,workflow:process', /^clusterbase refused to start: WORKER_MODE: empty item at position 2/m],
    ['!,nope:process', /^clusterbase refused to start: WORKER_MODE: unknown processor key "nope:process" \(no service declares it; known keys: async-task:process, workflow:process\)/m],
  ])('WORKER_MODE="%s" refuses the start with one line naming the bad item', async (value, message) => {
    const node = await start({ WORKER_MODE: value });
    expect(await node.exited).toBe(1);
    expect(node.output()).toMatch(message);
    expect(node.output().match(/refused to start/g)).toHaveLength(1);
  });

  test('bad settings refuse the start with one line per bad variable', async () => {
    const node = await start({ APP_PORT: 'http', LOG_FORMAT: 'xml' });
    expect(await node.exited).toBe(1);
    const lines = node.output().trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^clusterbase refused to start: APP_PORT: must be a whole number/),
      expect.stringMatching(/^clusterbase refused to start: LOG_FORMAT: must be one of text, json/),
    ]);
  });

  test('moleculer-runner with one service file runs just that service', async () => {
    const node = await start({ WORKER_MODE: 'workflow:process' }, [...RUNNER, join(DIST, 'services', 'workflow.service.js')]);
    await node.waitForReady();
    // cluster, lock and worker-id join every broker, however it was launched.
    expect(ownServices(await readyz(node))).toEqual(['cluster', 'lock', 'worker-id', 'workflow']);
  });

  test('moleculer-runner refuses a service file that WORKER_MODE does not select', async () => {
    const node = await start({ WORKER_MODE: '!' }, [...RUNNER, join(DIST, 'services', 'workflow.service.js')]);
    expect(await node.exited).toBe(1);
    expect(node.output()).toMatch(/clusterbase refused to start: WORKER_MODE: service "workflow" \(processor workflow:process\) is not served by WORKER_MODE="!"/);
  });
});
