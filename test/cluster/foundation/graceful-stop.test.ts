import { join } from 'node:path';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { DIST, ROOT, spawnNode, type NodeProcess } from '../../support/node-process';
import { requireServices } from '../../support/services';

const RUNNER = [process.execPath, join(ROOT, 'node_modules', 'moleculer', 'bin', 'moleculer-runner.js'), '--config', join(DIST, 'moleculer.config.js')];

describe('SIGTERM drains a gateway node', () => {
  const schema = uniqueSchema('gs');
  let node: NodeProcess;

  beforeAll(async () => {
    await requireServices('postgres');
    node = await spawnNode({
      env: { DATABASE_URL: testDatabaseUrl(), DB_SCHEMA: schema, WORKER_MODE: '!', SHUTDOWN_DELAY: '0.5' },
      command: [...RUNNER, join(DIST, 'services', 'api.service.js'), join(ROOT, 'test', 'fixtures', 'services', 'probe.service.js')],
    });
    await node.waitForReady();
  });

  afterAll(async () => {
    await node?.stop();
    await dropSchemas(schema);
  });

  test('readiness turns 503 first, the in-flight request finishes, then the process exits 0', async () => {
    const inFlight = fetch(`http://127.0.0.1:${node.appPort}/api/probe:slow?ms=1500`);
    await node.waitForOutput(/slow request started/);
    node.signal('SIGTERM');
    await node.waitForOutput(/draining: readiness is 503/);

    const readiness = await fetch(`http://127.0.0.1:${node.healthPort}/readyz`);
    expect(readiness.status).toBe(503);
    expect(((await readiness.json()) as { status: string }).status).toBe('draining');
    const health = await fetch(`http://127.0.0.1:${node.appPort}/api/__health_check`);
    expect(health.status).toBe(503);

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { waited: 1500 } });
    expect(await node.exited).toBe(0);
    // The stop was not held open by a keep-alive connection until SHUTDOWN_TIMEOUT.
    expect(node.output()).not.toMatch(/longer than|exiting anyway/);
  });
});
