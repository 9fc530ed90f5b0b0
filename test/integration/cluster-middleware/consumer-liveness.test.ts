import type { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import WorkflowApiService = require('../../../services/workflow-api.service');
import WorkflowService = require('../../../services/workflow.service');
import AsyncTaskService = require('../../../services/async-task.service');
import { nodeState } from '../../../shared/runtime';
import type { MessageQueue } from '../../../shared/queue';
import { workflowChannel } from '../../../shared/workflow';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { jsonCaller, until, type Json } from '../../support/http';
import { requireServices, SERVICES } from '../../support/services';

interface Report {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

/** Seconds a consumer may go without a round; the node's checks and re-creation follow it. */
const STALE_AFTER_S = 3;
/** Generous bound for each wait: detection plus re-creation take about two STALE_AFTER periods. */
const BOUND = { timeoutMs: 30_000 };

/** How each queue adapter's consumer is stopped behind its subscription's back. */
const ADAPTERS = [
  { adapter: 'redis', stop: 'its BullMQ worker closed, as when a worker loop ends on its own', env: () => ({ QUEUE_ADAPTER: 'redis' }) },
  {
    adapter: 'rabbitmq',
    stop: 'its AMQP consumer cancelled, as when the broker drops it',
    env: () => ({ QUEUE_ADAPTER: 'rabbitmq', QUEUE_ADAPTER_RABBITMQ_URL: SERVICES.rabbitmq.url }),
  },
] as const;

/**
 * A processor node whose workflow queue consumer stops behind its back: /readyz turns 503 naming the
 * consumer, the node re-creates it and turns ready by itself, and the writes made meanwhile and
 * afterwards run their workflow.
 */
describe.each(ADAPTERS)('queue consumer liveness on a processor node ($adapter queue: $stop)', ({ adapter, env }) => {
  const schema = uniqueSchema('cl');
  let broker: ServiceBroker;
  let management: string;
  let base: string;
  let token: string;
  const call = jsonCaller(() => `${base}/`, () => token);
  const readyz = async (): Promise<{ status: number; report: Report }> => {
    const res = await fetch(`${management}/readyz`);
    return { status: res.status, report: (await res.json()) as Report };
  };
  const audited = (title: string) =>
    until(
      async () => {
        const rows = (await call('GET', `audit:list?filter[note]=${encodeURIComponent(`created ${title}`)}`)).body.data as Json[] | undefined;
        return rows?.length ? rows : undefined;
      },
      { ...BOUND, what: `the workflow of "${title}" to write its audit row` },
    );

  beforeAll(async () => {
    await requireServices('postgres', 'redis', ...(adapter === 'rabbitmq' ? (['rabbitmq'] as const) : []));
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, WorkflowApiService, WorkflowService, AsyncTaskService], {
      NAMESPACE: `cl${Date.now().toString(36)}`,
      REDIS_URL: SERVICES.redis.url,
      ...env(),
      QUEUE_CONSUMER_STALE_AFTER: String(STALE_AFTER_S),
      APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde',
    });
    broker = node.broker;
    management = node.management;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' }, '')).body.data.token;
    for (const c of [
      { name: 'products', fields: [{ name: 'title', type: 'string' }] },
      { name: 'audit', fields: [{ name: 'productId', type: 'bigInt' }, { name: 'note', type: 'string' }] },
    ]) {
      expect((await call('POST', 'collections:create', c)).status).toBe(200);
    }
    const wf = (await call('POST', 'workflows:create', { title: 'audit products', type: 'collection', sync: false, enabled: false, config: { mode: 1, collection: 'products' } })).body.data;
    const node1 = await call('POST', `workflows/${wf.id}/nodes:create`, {
      type: 'create', upstreamId: null, config: { collection: 'audit', params: { values: { productId: '{{$context.data.id}}', note: 'created {{$context.data.title}}' } } },
    });
    expect(node1.status).toBe(200);
    expect((await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: true })).status).toBe(200);
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('a silently stopped consumer turns /readyz 503 naming it; the node re-creates it, turns ready by itself, and the writes run their workflow', async () => {
    const healthy = await until(async () => {
      const r = await readyz();
      return r.status === 200 && r.report;
    }, { ...BOUND, what: 'the node to be ready' });
    expect(healthy.checks['consumer:workflow:process']).toMatchObject({ ok: true });
    expect(healthy.checks['consumer:async-task:process']).toMatchObject({ ok: true });
    expect((await call('POST', 'products:create', { title: 'before' })).status).toBe(200);
    await audited('before');

    // Idle consumers stay ready: more than one stale period with nothing to do is not a stall.
    await new Promise((r) => setTimeout(r, STALE_AFTER_S * 1000 * 1.5));
    expect(await readyz()).toMatchObject({ status: 200 });

    const cluster = nodeState(broker).services().cluster;
    await (cluster.consumers.queue as MessageQueue & { severConsumers(channel: string): Promise<void> }).severConsumers(workflowChannel('main'));

    const down = await until(async () => {
      const r = await readyz();
      return r.status === 503 && r.report;
    }, { ...BOUND, what: '/readyz to report the stopped consumer' });
    expect(down.ready).toBe(false);
    expect(down.checks['consumer:workflow:process']).toMatchObject({ ok: false, error: expect.stringContaining('consumer of workflow.main') });
    expect(down.checks['consumer:async-task:process']).toMatchObject({ ok: true });
    // A write while the consumer is down is accepted and waits on the queue.
    expect((await call('POST', 'products:create', { title: 'during' })).status).toBe(200);

    const again = await until(async () => {
      const r = await readyz();
      return r.status === 200 && r.report;
    }, { ...BOUND, what: 'the node to be ready again by itself' });
    expect(again.checks['consumer:workflow:process']).toMatchObject({ ok: true });

    // The re-created consumer works: the waiting write and a new one run their workflow.
    expect((await call('POST', 'products:create', { title: 'after' })).status).toBe(200);
    await audited('during');
    await audited('after');
    const executions = (await call('GET', 'executions:list?pageSize=20')).body.data as Json[];
    expect(executions.map((e) => e.status)).toEqual([1, 1, 1]);
  });
});
