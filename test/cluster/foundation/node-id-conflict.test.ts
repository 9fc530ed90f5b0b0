import { randomBytes } from 'node:crypto';
import { clusterEnv } from '../../support/cluster-env';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller } from '../../support/http';
import { spawnNode, tempStorage, type NodeProcess } from '../../support/node-process';
import { ROOT_PASSWORD } from '../../support/root';
import { requireServices } from '../../support/services';

/**
 * A second process started with a NODE_ID that is live on the transporter (a second `npm run cluster`
 * on the same NATS, a copy-pasted env) refuses to start, naming the ID; the running node keeps serving.
 */
describe('a NODE_ID already live on the transporter', () => {
  const schema = uniqueSchema('nid');
  const namespace = `n${randomBytes(4).toString('hex')}`;
  const env = {
    ...clusterEnv({ schema, namespace, storage: tempStorage(), appKey: 'node-id-conflict-test-app-key-3e8a1f5c7d9b2a4c6e8f', aesKey: 'c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3' }),
    NODE_ID: `${namespace}-dup`,
  };
  const nodes: NodeProcess[] = [];

  beforeAll(async () => {
    await requireServices('postgres', 'redis', 'nats');
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await dropSchemas(schema);
  });

  test('the newcomer refuses to start naming the ID; the running node keeps serving and stays the one the cluster sees', async () => {
    const running = await spawnNode({ env: { ...env, WORKER_MODE: '!' } });
    nodes.push(running);
    await running.waitForReady();
    const call = jsonCaller(() => `http://127.0.0.1:${running.appPort}/api/`, () => undefined);
    const token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token as string;

    const second = await spawnNode({ env: { ...env, WORKER_MODE: 'workflow:process' } });
    nodes.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(new RegExp(`^clusterbase refused to start: NODE_ID "${env.NODE_ID}" is already live on the transporter \\(host [^,]+, pid ${running.child.pid}`, 'm'));

    expect(running.child.exitCode).toBeNull();
    expect(running.output()).toMatch(new RegExp(`another process \\(host [^,]+, pid ${second.child.pid}\\) tried to join the cluster with this node's NODE_ID "${env.NODE_ID}": it is refused, this node keeps serving`));
    expect(running.output()).not.toMatch(/nodeID conflict/);
    await running.waitForReady();
    expect((await call('GET', 'collections:list', undefined, token)).status).toBe(200);

    // A node joining afterwards sees the running node with its own services, not the refused one's.
    const third = await spawnNode({ env: { ...env, NODE_ID: `${namespace}-other`, WORKER_MODE: 'workflow:process' } });
    nodes.push(third);
    await third.waitForReady();
    const seen = (await call('GET', 'cluster:nodes', undefined, token)).body.data;
    expect(seen.unreachable).toEqual([]);
    const dup = seen.nodes.find((n: { nodeId: string }) => n.nodeId === env.NODE_ID);
    expect(dup).toMatchObject({ workerMode: '!', pid: running.child.pid });
  });
});
