import { NodeWork, type ClusterAdapters } from '../../cluster-adapters/index.js';
import { MemoryLockAdapter } from '../../lock/index.js';
import { MemoryQueue, MemoryQueueStore } from '../../queue/index.js';
import { ClusterConsole, type ClusterPort, type LocalNode, type NodeChannel, type PartName } from '../index.js';

/** One node's console over in-process adapters; the "other nodes" answer from fixed parts or not at all. */
function setup(others: Record<string, Partial<Record<PartName, unknown>> | 'silent' | 'failing'>) {
  const store = new MemoryQueueStore();
  const work = new NodeWork();
  const queue = work.wrapQueue(new MemoryQueue({ type: 'memory', store, prefix: 'cc' }));
  const lock = work.wrapLock(new MemoryLockAdapter());
  const cluster = { work, queue, lock, queueChannels: new Set<string>(), workerIds: { current: () => 3, healthy: () => true }, leasedAt: Date.now() - 1000 } as unknown as ClusterAdapters;
  const local: LocalNode = {
    nodeId: 'here', host: 'h', version: '1', workerMode: '!', serves: ['!'], services: () => ['api'],
    readiness: async () => ({ ready: true, status: 'ready', checks: {} }),
    cluster: () => cluster, activeRequests: () => 0, log: { info: () => undefined, error: () => undefined },
  };
  const port: ClusterPort = {
    local,
    nodeIds: () => ['here', ...Object.keys(others)],
    timeoutMs: 100,
    ask: async (nodeId, part) => {
      const o = others[nodeId]!;
      if (o === 'silent') return new Promise(() => undefined);
      if (o === 'failing') throw new Error('Service not available');
      return o[part] ?? [];
    },
  };
  return { console: new ClusterConsole(port), queue, lock, cluster, store };
}

describe('ClusterConsole: one answer for the whole cluster', () => {
  test('lists a silent node and a failing node as unreachable and answers with the others', async () => {
    const { console: c, store } = setup({ slow: 'silent', down: 'failing' });
    const { nodes, unreachable } = await c.nodes();
    expect(nodes.map((n) => n.nodeId)).toEqual(['here']);
    expect(unreachable).toEqual([
      { nodeId: 'slow', error: 'no answer within 100 ms' },
      { nodeId: 'down', error: 'Service not available' },
    ]);
    store.clearTimers();
  });

  test('adds up in-flight work and consumers per node; depths come from the shared broker', async () => {
    const other: NodeChannel[] = [{ channel: 'workflow.main', waiting: 4, delayed: 1, deadLettered: 2, oldestWaitingMs: 1500, consumers: 2, inFlight: 2 }];
    const { console: c, queue, store } = setup({ w1: { queues: other } });
    await queue.subscribe('workflow.main', () => new Promise(() => undefined));
    await queue.publish('workflow.main', { app: 'main', executionId: 7 });
    for (let i = 0; i < 50 && (await c.executions()).running.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    const { queues } = await c.queues();
    expect(queues).toEqual([{ channel: 'workflow.main', waiting: 4, delayed: 1, deadLettered: 2, oldestWaitingMs: 1500, inFlight: 3, consumers: { here: 1, w1: 2 } }]);
    const { running } = await c.executions();
    expect(running).toEqual([expect.objectContaining({ nodeId: 'here', kind: 'execution', app: 'main', id: '7', channel: 'workflow.main', attempt: 1 })]);
    store.clearTimers();
  });

  test('names the holder of each lock from the node that holds it; a lock nobody claims has no holder', async () => {
    const { console: c, lock, store } = setup({ w1: { locks: [] } });
    const mine = await lock.acquire('main:a', { ttlMs: 5000 });
    const { locks } = await c.locks();
    expect(locks).toEqual([{ key: 'main:a', holder: 'here', fence: mine.fence, expiresInMs: expect.any(Number) }]);
    store.clearTimers();
  });

  test('refuses a dead-letter id without its channel, and a drain of an unknown node', async () => {
    const { console: c, store } = setup({});
    await expect(c.requeue(['nochannel'])).rejects.toMatchObject({ code: 400 });
    await expect(c.drain('nobody')).rejects.toMatchObject({ code: 404 });
    store.clearTimers();
  });
});
