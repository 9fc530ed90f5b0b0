import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { findNginx, LocalCluster } from '../../../scripts/local-cluster';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { requireServices, SERVICES } from '../../support/services';
import { idempotentCreates, steadyGets, type LoadStream } from './load-streams';

/**
 * The issue 8 guarantee, with real processes: nginx (deploy/nginx.conf's settings) in front of two
 * request nodes, a workflow node and an async-task node; every node is restarted one by one
 * (SIGTERM → drain → exit → start → ready) while traffic flows through nginx.
 */
describe('a rolling restart under load through nginx', () => {
  const schema = uniqueSchema('rr');
  const namespace = `rr${randomBytes(4).toString('hex')}`;
  let cluster: LocalCluster;
  let token: string;

  beforeAll(async () => {
    await requireServices('postgres', 'redis', 'nats');
    if (!findNginx()) throw new Error('nginx is not installed: apt-get install -y nginx-light (the test runs /usr/sbin/nginx unprivileged)');
    cluster = new LocalCluster({
      databaseUrl: testDatabaseUrl(),
      redisUrl: SERVICES.redis.url,
      natsUrl: SERVICES.nats.url,
      schema,
      namespace,
      autoBuild: false,
      env: { HEARTBEAT_INTERVAL: '1', SHUTDOWN_DELAY: '0.5', APP_KEY: 'rolling-restart-shared-app-key', APP_AES_SECRET_KEY: 'ef'.repeat(32) },
    });
    await cluster.start();
    const signIn = await fetch(`${cluster.url}/api/auth:signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: 'nocobase', password: 'admin123' }),
    });
    token = ((await signIn.json()) as { data: { token: string } }).data.token;
    const created = await fetch(`${cluster.url}/api/collections:create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'orders', fields: [{ name: 'ref', type: 'string' }] }),
    });
    expect(created.status).toBe(200);
  });

  afterAll(async () => {
    await cluster?.stop();
    await dropSchemas(schema);
  });

  test('0 failed GETs, every POST applied exactly once, every node drained and came back', async () => {
    const gets = steadyGets(cluster.url, '/api/orders:list?pageSize=5&sort=-id', token, 3);
    const posts = idempotentCreates(cluster.url, 'orders', token, 2);
    // Issue 5 (workflows): add a `workflowExecutions(cluster.url, token)` LoadStream here, started before
    // the restart and checked after it (every execution completes exactly once).
    const extraStreams: LoadStream[] = [];

    const restarts = await cluster.rollingRestart();

    const getReport = await gets.stop();
    const postReport = await posts.stop();
    const extraReports = await Promise.all(extraStreams.map((s) => s.stop()));
    console.log(JSON.stringify({ gets: getReport.ok, getFailures: getReport.failures.length, posts: postReport.acknowledged.length, retries: postReport.retries }));

    expect(restarts.map((r) => r.node)).toEqual(['request-1', 'request-2', 'workflow-1', 'async-task-1']);
    expect(restarts.map((r) => r.exitCode)).toEqual([0, 0, 0, 0]);
    expect(cluster.nodes.map((n) => n.starts)).toEqual([2, 2, 2, 2]);

    expect(getReport.failures).toEqual([]);
    expect(getReport.ok).toBeGreaterThan(50);

    expect(postReport.failures).toEqual([]);
    expect(postReport.acknowledged.length).toBeGreaterThan(20);
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      const { rows } = await db.query<{ ref: string; n: string }>(`select "ref", count(*) as n from "${schema}"."orders" group by "ref"`);
      const counts = new Map(rows.map((r) => [r.ref, Number(r.n)]));
      expect(postReport.acknowledged.filter((ref) => counts.get(ref) !== 1)).toEqual([]);
      // No row the client does not know about (a retried POST written twice, or a lost answer).
      expect(rows.length).toBe(postReport.acknowledged.length);
    } finally {
      await db.end();
    }
    expect(extraReports).toEqual([]);
  });
});
