import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { spawnNode, tempStorage, type NodeProcess } from '../../support/node-process';
import { requireServices } from '../../support/services';

describe('nodes must share APP_KEY and APP_AES_SECRET_KEY', () => {
  const schema = uniqueSchema('kf');
  const KEY_A = '9c88853438336269d82a38c1760963e92101756ed19e02895b838ba7eee83935';
  const KEY_B = '2b87a7ca96da9885983eca45fce5eb337a4806ea3ab98d2d590370bebde68126';
  const nodes: NodeProcess[] = [];
  const start = async (aesKey: string) => {
    const node = await spawnNode({
      env: { DATABASE_URL: testDatabaseUrl(), DB_SCHEMA: schema, STORAGE_PATH: tempStorage(), APP_KEY: 'shared-app-key-0123456789-e4df82da05fd572b2ee70b2c', APP_AES_SECRET_KEY: aesKey, WORKER_MODE: '-' },
    });
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

  test('a node with a different AES key refuses readiness, naming the key but never printing it', async () => {
    const first = await start(KEY_A);
    await first.waitForReady();

    const other = await start(KEY_B);
    await other.waitForOutput(/ready: WORKER_MODE/); // started: every check is registered

    const res = await fetch(`http://127.0.0.1:${other.healthPort}/readyz`);
    expect(res.status).toBe(503);
    const text = await res.text();
    const report = JSON.parse(text) as { checks: Record<string, { ok: boolean; error?: string }> };
    expect(report.checks.secrets!.ok).toBe(false);
    expect(report.checks.secrets!.error).toMatch(/APP_AES_SECRET_KEY differs from the one this database was first started with/);
    expect(report.checks.secrets!.error).not.toMatch(/APP_KEY differs/);
    expect(text + other.output()).not.toContain(KEY_B);
    expect(text + other.output()).not.toContain(KEY_A);

    const same = await start(KEY_A);
    await same.waitForReady(200);
  });
});
