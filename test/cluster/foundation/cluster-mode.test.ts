import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { spawnNode, type NodeProcess } from '../../support/node-process';
import { requireServices, SERVICES } from '../../support/services';
import { ROOT_PASSWORD } from '../../support/root';

describe('CLUSTER_MODE=2: two broker processes on one port', () => {
  const schema = uniqueSchema('cl');
  let primary: NodeProcess;

  beforeAll(async () => {
    await requireServices('postgres', 'redis');
    primary = await spawnNode({
      env: {
        CLUSTER_MODE: '2',
        NODE_ID: 'multi',
        DATABASE_URL: testDatabaseUrl(),
        DB_SCHEMA: schema,
        NAMESPACE: schema,
        REDIS_URL: SERVICES.redis.url,
        PUBSUB_ADAPTER: 'redis',
        QUEUE_ADAPTER: 'redis',
        LOCK_ADAPTER_DEFAULT: 'redis',
        WORKER_ID_ADAPTER: 'redis',
        WORKER_ID_LEASE: '1',
        INIT_ROOT_PASSWORD: ROOT_PASSWORD,
      },
    });
    await primary.waitForOutput(/node multi-1 ready/);
    await primary.waitForOutput(/node multi-2 ready/);
  });

  afterAll(async () => {
    await primary?.stop();
    await dropSchemas(schema);
  });

  /** Node IDs that answered /readyz over `requests` requests on the shared management port. */
  async function answeringNodes(requests: number): Promise<Set<string>> {
    const seen = new Set<string>();
    for (let i = 0; i < requests; i++) {
      const res = await fetch(`http://127.0.0.1:${primary.healthPort}/readyz`, { headers: { connection: 'close' } });
      seen.add(((await res.json()) as { nodeID: string }).nodeID);
    }
    return seen;
  }

  test('both processes serve the same ports', async () => {
    expect(await answeringNodes(20)).toEqual(new Set(['multi-1', 'multi-2']));
    const res = await fetch(`http://127.0.0.1:${primary.appPort}/api/__health_check`);
    expect(await res.text()).toBe('ok');
  });

  test('a child killed with SIGKILL is restarted, the restart is logged, and the port keeps answering', async () => {
    const children = await childPids(primary.child.pid!);
    expect(children).toHaveLength(2);
    process.kill(children[0]!, 'SIGKILL');
    await primary.waitForOutput(/exited \(SIGKILL\): restarting it/);
    // Meanwhile the surviving process answers on the shared port.
    expect(await (await fetch(`http://127.0.0.1:${primary.appPort}/api/__health_check`, { headers: { connection: 'close' } })).text()).toBe('ok');
    await waitUntil(async () => (await childPids(primary.child.pid!)).length === 2);
    await waitUntil(async () => (await answeringNodes(10)).size === 2);
  });

  test('SIGTERM stops every process and the primary exits 0', async () => {
    expect(await primary.stop()).toBe(0);
    expect(primary.output()).toMatch(/all 2 processes stopped/);
  });
});

async function childPids(parent: number): Promise<number[]> {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
}

async function waitUntil(probe: () => Promise<boolean>): Promise<void> {
  while (!(await probe())) await new Promise((r) => setTimeout(r, 100));
}
