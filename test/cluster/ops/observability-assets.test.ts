import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { jsonCaller, until } from '../../support/http';
import { ROOT, spawnNode, tempStorage, type NodeProcess } from '../../support/node-process';
import { ROOT_PASSWORD } from '../../support/root';
import { requireServices } from '../../support/services';

interface Rule { alert: string; expr: string; for?: string; annotations?: { summary?: string } }

const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'clusterbase.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
const rules = (parse(readFileSync(join(ROOT, 'deploy', 'prometheus', 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

/** The metric families an expression names (a histogram's _bucket/_sum/_count belong to its family). */
const metricsOf = (expr: string) => [...expr.matchAll(/\b((?:cb|moleculer|process|os)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));

/**
 * The Grafana dashboard (deploy/grafana) and the Prometheus alert rules (deploy/prometheus) name only
 * metrics a node really exports: a node does the work that makes every series appear (a request, a
 * workflow execution), then its /metrics must carry each family they use.
 */
describe('dashboards and alerts', () => {
  const schema = uniqueSchema('obs');
  let node: NodeProcess;
  let exported: Set<string>;

  beforeAll(async () => {
    await requireServices('postgres');
    node = await spawnNode({ env: { DATABASE_URL: testDatabaseUrl(), DB_SCHEMA: schema, STORAGE_PATH: tempStorage(), INIT_ROOT_PASSWORD: ROOT_PASSWORD, LOG_LEVEL: 'warn' } });
    await node.waitForReady();
    let token = '';
    const call = jsonCaller(() => `http://127.0.0.1:${node.appPort}/api/`, () => token);
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token;
    await call('POST', 'collections:create', { name: 'things', fields: [{ name: 'title', type: 'string' }] });
    const wf = (await call('POST', 'workflows:create', { title: 'noop', type: 'collection', config: { mode: 1, collection: 'things' } })).body.data;
    await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'calculation', upstreamId: null, config: { engine: 'math.js', expression: '1 + 1' } });
    await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: true });
    await call('POST', 'things:create', { title: 'one' });
    await until(async () => (await call('GET', `executions:list?filter[workflowId]=${wf.id}&filter[status]=1`)).body.meta?.count === 1);
    const text = await (await fetch(`http://127.0.0.1:${node.healthPort}/metrics`)).text();
    exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  });

  afterAll(async () => {
    await node?.stop();
    await dropSchemas(schema);
  });

  test('the dashboard has a query on every panel, covering requests, queues, executions, dead letters, readiness and leases', () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(dashboard.panels.every((p) => p.targets.length > 0)).toBe(true);
    const used = new Set(exprs.flatMap(metricsOf));
    for (const family of ['cb_http_request_duration_seconds', 'cb_queue_waiting', 'cb_workflow_oldest_queued_seconds', 'cb_workflow_executions_ended', 'cb_queue_dead_lettered', 'cb_node_ready', 'cb_worker_id_healthy']) {
      expect(used).toContain(family);
    }
  });

  test('the alert rules cover an unready node, an old backlog, growing dead letters and nearly exhausted worker IDs', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['ClusterbaseNodeNotReady', 'ClusterbaseQueueBacklogOld', 'ClusterbaseDeadLettersGrowing', 'ClusterbaseWorkerIdsNearlyExhausted']),
    );
    for (const r of rules) expect(r).toMatchObject({ expr: expect.any(String), annotations: { summary: expect.any(String) } });
  });

  test.each([
    ['the dashboard', () => dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))],
    ['the alert rules', () => rules.map((r) => r.expr)],
  ])('every metric %s names is exported by a node', (_what, exprs) => {
    const named = [...new Set(exprs().flatMap(metricsOf))].sort();
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((m) => !exported.has(m))).toEqual([]);
  });
});
