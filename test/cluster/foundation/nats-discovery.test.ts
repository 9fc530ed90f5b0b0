import { randomBytes } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { spawnNode, type NodeProcess } from '../../support/node-process';
import { requireServices, SERVICES } from '../../support/services';
import { ROOT_PASSWORD } from '../../support/root';

interface ServiceInfo {
  name: string;
  nodes: string[];
}

/** Everything shared through Redis: what a real cluster runs with. */
const CLUSTER_ADAPTERS = {
  REDIS_URL: SERVICES.redis.url,
  CACHE_DEFAULT_STORE: 'redis',
  PUBSUB_ADAPTER: 'redis',
  QUEUE_ADAPTER: 'redis',
  LOCK_ADAPTER_DEFAULT: 'redis',
  WORKER_ID_ADAPTER: 'redis',
};

describe('two nodes over the machine NATS', () => {
  const schema = uniqueSchema('nt');
  const namespace = `t${randomBytes(4).toString('hex')}`;
  let requests: NodeProcess;
  let workflow: NodeProcess;
  let observer: ServiceBroker;

  beforeAll(async () => {
    await requireServices('postgres', 'nats', 'redis');
    const env = {
      DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: schema,
      TRANSPORTER: SERVICES.nats.url,
      NAMESPACE: namespace,
      HEARTBEAT_INTERVAL: '1',
      INIT_ROOT_PASSWORD: ROOT_PASSWORD,
      ...CLUSTER_ADAPTERS,
    };
    [requests, workflow] = await Promise.all([
      spawnNode({ env: { ...env, WORKER_MODE: '!', NODE_ID: 'requests-1' } }),
      spawnNode({ env: { ...env, WORKER_MODE: 'workflow:process', NODE_ID: 'workflow-1' } }),
    ]);
    await Promise.all([requests.waitForReady(), workflow.waitForReady()]);
    observer = new ServiceBroker({
      namespace,
      nodeID: 'observer',
      transporter: { type: 'NATS', options: { url: SERVICES.nats.url } },
      serializer: 'JSONExt',
      logger: false,
    });
    await observer.start();
  });

  afterAll(async () => {
    await observer?.stop();
    await Promise.all([requests?.stop(), workflow?.stop()]);
    await dropSchemas(schema);
  });

  /** The services `nodeID` knows of, once it knows of `name` (discovery is asynchronous). */
  async function servicesSeenBy(nodeID: string, name: string): Promise<ServiceInfo[]> {
    for (;;) {
      const list = (await observer.call('$node.services', { onlyAvailable: true, grouping: true }, { nodeID })) as ServiceInfo[];
      if (list.some((s) => s.name === name)) return list;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('each node sees the services of the other', async () => {
    await observer.waitForServices(['api', 'data', 'workflow'], 30000);
    const fromRequests = await servicesSeenBy('requests-1', 'workflow');
    expect(fromRequests.find((s) => s.name === 'workflow')?.nodes).toEqual(['workflow-1']);
    expect(fromRequests.find((s) => s.name === 'api')?.nodes).toEqual(['requests-1']);
    const fromWorkflow = await servicesSeenBy('workflow-1', 'api');
    expect(fromWorkflow.find((s) => s.name === 'api')?.nodes).toEqual(['requests-1']);
    expect(fromWorkflow.find((s) => s.name === 'workflow')?.nodes).toEqual(['workflow-1']);
  });

  test('readiness checks the transporter connection on a networked node', async () => {
    const report = (await (await fetch(`http://127.0.0.1:${workflow.healthPort}/readyz`)).json()) as { checks: Record<string, { ok: boolean }> };
    expect(report.checks.transporter).toEqual(expect.objectContaining({ ok: true }));
  });

  test('the two nodes lease different worker IDs', async () => {
    const a = (await observer.call('worker-id.current', {}, { nodeID: 'requests-1' })) as { workerId: number; adapter: string };
    const b = (await observer.call('worker-id.current', {}, { nodeID: 'workflow-1' })) as { workerId: number };
    expect(a.adapter).toBe('redis');
    expect(a.workerId).not.toBe(b.workerId);
  });

  test('a node with in-process adapters is refused beside them, naming the adapters', async () => {
    const lonely = await spawnNode({
      env: { DATABASE_URL: testDatabaseUrl(), DB_SCHEMA: schema, TRANSPORTER: SERVICES.nats.url, NAMESPACE: namespace, HEARTBEAT_INTERVAL: '1', INIT_ROOT_PASSWORD: ROOT_PASSWORD, WORKER_MODE: '!' },
    });
    expect(await lonely.exited).toBe(1);
    expect(lonely.output()).toMatch(
      /clusterbase refused to start: LOCK_ADAPTER_DEFAULT=local, WORKER_ID_ADAPTER=local, QUEUE_ADAPTER=memory, PUBSUB_ADAPTER=local, CACHE_DEFAULT_STORE=memory keep state inside this process, but this node shares its cluster with (requests-1|workflow-1|observer)/,
    );
  });

  test('the gateway on the requests node reaches actions through the cluster', async () => {
    const res = await fetch(`http://127.0.0.1:${requests.appPort}/api/app:getInfo`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { name: string } }).data.name).toBe('main');
  });
});
