import { randomBytes } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { spawnNode, type NodeProcess } from '../../support/node-process';
import { requireServices, SERVICES } from '../../support/services';

interface ServiceInfo {
  name: string;
  nodes: string[];
}

describe('two nodes over the machine NATS', () => {
  const schema = uniqueSchema('nt');
  const namespace = `t${randomBytes(4).toString('hex')}`;
  let requests: NodeProcess;
  let workflow: NodeProcess;
  let observer: ServiceBroker;

  beforeAll(async () => {
    await requireServices('postgres', 'nats');
    const env = { DATABASE_URL: testDatabaseUrl(), DB_SCHEMA: schema, TRANSPORTER: SERVICES.nats.url, NAMESPACE: namespace, HEARTBEAT_INTERVAL: '1' };
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

  test('the gateway on the requests node reaches actions through the cluster', async () => {
    const res = await fetch(`http://127.0.0.1:${requests.appPort}/api/app:getInfo`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { name: string } }).data.name).toBe('main');
  });
});
