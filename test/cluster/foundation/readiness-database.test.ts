import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { spawnNode, type NodeProcess } from '../../support/node-process';
import { requireServices, SERVICES } from '../../support/services';
import { TcpProxy } from '../../support/tcp-proxy';

interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

describe('/readyz follows the database', () => {
  const schema = uniqueSchema('rz');
  const pg = new URL(SERVICES.postgres.url);
  const proxy = new TcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  let node: NodeProcess;

  beforeAll(async () => {
    await requireServices('postgres');
    const port = await proxy.start();
    const url = new URL(testDatabaseUrl());
    url.port = String(port);
    node = await spawnNode({ env: { DATABASE_URL: url.toString(), DB_SCHEMA: schema } });
    await node.waitForReady();
  });

  afterAll(async () => {
    await node?.stop();
    await proxy.cut();
    await dropSchemas(schema);
  });

  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${node.healthPort}/readyz`);
    return { status: res.status, body: (await res.json()) as Readiness };
  };

  test('turns 503 naming the database while PostgreSQL is unreachable, and 200 once it is back', async () => {
    expect((await readyz()).status).toBe(200);

    await proxy.cut();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.ready).toBe(false);
    expect(down.body.checks.database!.ok).toBe(false);
    expect(down.body.checks.services!.ok).toBe(true);
    // Liveness is unaffected: the process is fine, only a dependency is not.
    expect((await fetch(`http://127.0.0.1:${node.healthPort}/healthz`)).status).toBe(200);

    await proxy.restore();
    await node.waitForReady(200);
    expect((await readyz()).body.checks.database!.ok).toBe(true);
  });
});

describe('/readyz follows Redis when one is configured', () => {
  const schema = uniqueSchema('rr');
  const redis = new URL(SERVICES.redis.url);
  const proxy = new TcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
  let node: NodeProcess;

  beforeAll(async () => {
    await requireServices('postgres', 'redis');
    const port = await proxy.start();
    node = await spawnNode({ env: { DATABASE_URL: testDatabaseUrl(), DB_SCHEMA: schema, REDIS_URL: `redis://127.0.0.1:${port}` } });
    await node.waitForReady();
  });

  afterAll(async () => {
    await node?.stop();
    await proxy.cut();
    await dropSchemas(schema);
  });

  test('turns 503 naming redis while it is unreachable, and 200 once it is back', async () => {
    await proxy.cut();
    const res = await fetch(`http://127.0.0.1:${node.healthPort}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Readiness;
    expect(body.checks.redis!.ok).toBe(false);
    expect(body.checks.database!.ok).toBe(true);
    await proxy.restore();
    await node.waitForReady(200);
  });
});
