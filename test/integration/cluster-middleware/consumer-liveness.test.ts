import type { ServiceBroker } from 'moleculer';
import DataService = require('../../../services/data.service');
import WorkflowService = require('../../../services/workflow.service');
import AsyncTaskService = require('../../../services/async-task.service');
import { nodeState } from '../../../shared/runtime';
import type { RedisQueue } from '../../../shared/queue/redis-queue';
import { workflowChannel } from '../../../shared/workflow';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { until } from '../../support/http';
import { requireServices, SERVICES } from '../../support/services';

interface Report {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

/** A processor node whose queue consumer stops behind its back: readiness names it, the node re-creates it. */
describe('queue consumer liveness on a processor node', () => {
  const schema = uniqueSchema('cl');
  let broker: ServiceBroker;
  let management: string;
  const readyz = async (): Promise<{ status: number; report: Report }> => {
    const res = await fetch(`${management}/readyz`);
    return { status: res.status, report: (await res.json()) as Report };
  };

  beforeAll(async () => {
    await requireServices('postgres', 'redis');
    const node = await startInProcessNode(schema, [DataService, WorkflowService, AsyncTaskService], {
      NAMESPACE: `cl${Date.now().toString(36)}`,
      REDIS_URL: SERVICES.redis.url,
      QUEUE_ADAPTER: 'redis',
      QUEUE_CONSUMER_STALE_AFTER: '1.5',
      APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde',
    });
    broker = node.broker;
    management = node.management;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('readiness includes each consumer; a silently stopped one turns it 503 naming it, then the re-created one turns it ready', async () => {
    const healthy = await until(async () => {
      const r = await readyz();
      return r.status === 200 && r.report;
    });
    expect(healthy.checks['consumer:workflow:process']).toMatchObject({ ok: true });
    expect(healthy.checks['consumer:async-task:process']).toMatchObject({ ok: true });

    const cluster = nodeState(broker).services().cluster;
    await (cluster.consumers.queue as RedisQueue).severConsumers(workflowChannel('main'));

    const down = await until(async () => {
      const r = await readyz();
      return r.status === 503 && r.report;
    });
    expect(down.ready).toBe(false);
    expect(down.checks['consumer:workflow:process']).toMatchObject({ ok: false, error: expect.stringContaining('consumer of workflow.main') });
    expect(down.checks['consumer:async-task:process']).toMatchObject({ ok: true });

    const again = await until(async () => {
      const r = await readyz();
      return r.status === 200 && r.report;
    });
    expect(again.checks['consumer:workflow:process']).toMatchObject({ ok: true });

    // The re-created consumer works: a message on the channel is taken (an unknown execution is acknowledged).
    await cluster.queue.publish(workflowChannel('main'), { app: 'main', executionId: 999_999_999 });
    await until(async () => {
      const s = await cluster.queue.stats(workflowChannel('main'));
      return s.waiting === 0 && s.inFlight === 0 && s.delayed === 0;
    });
  });
});
