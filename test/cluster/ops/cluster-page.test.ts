import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { resolveQueue, type MessageQueue } from '../../../shared/queue';
import { clusterEnv } from '../../support/cluster-env';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller, until } from '../../support/http';
import { spawnNode, tempStorage, type NodeProcess } from '../../support/node-process';
import { ROOT_PASSWORD } from '../../support/root';
import { requireServices, SERVICES } from '../../support/services';
import { launchChromium, screenshot } from '../supervisor/admin-browser';

/**
 * The /admin/cluster page in Debian's Chromium (playwright-core) on a three-node cluster: the nodes by
 * role, a queued backlog's depth, drain and undrain from the page, a dead letter requeued and one discarded.
 */
describe('the cluster console page', () => {
  const schema = uniqueSchema('cpage');
  const namespace = `cp${randomBytes(4).toString('hex')}`;
  const env = {
    ...clusterEnv({ schema, namespace, storage: tempStorage(), appKey: 'cluster-page-test-app-key-8c2e4a6b0d1f3e5a7c9b', aesKey: 'd1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2' }),
    WORKFLOW_SWEEP_INTERVAL: '0.5',
    LOG_LEVEL: 'warn',
  };
  const id = { r: `${namespace}-r`, w1: `${namespace}-w1`, w2: `${namespace}-w2` };
  const nodes: NodeProcess[] = [];
  let requests: NodeProcess;
  let token: string;
  let browser: Browser;
  let page: Page;
  let queue: MessageQueue;
  const call = jsonCaller(() => `http://127.0.0.1:${requests.appPort}/api/`, () => token);
  const text = async (selector: string) => (await page.textContent(selector))?.trim() ?? '';

  beforeAll(async () => {
    await requireServices('postgres', 'redis', 'nats');
    requests = await spawnNode({ env: { ...env, WORKER_MODE: '!', NODE_ID: id.r } });
    nodes.push(requests);
    await requests.waitForReady();
    for (const nodeId of [id.w1, id.w2]) nodes.push(await spawnNode({ env: { ...env, WORKER_MODE: 'workflow:process', NODE_ID: nodeId } }));
    await Promise.all(nodes.map((n) => n.waitForReady()));
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token;
    await until(async () => (await call('GET', 'cluster:nodes')).body.data?.nodes?.length === 3);
    queue = resolveQueue({ type: 'redis', url: SERVICES.redis.url, prefix: `cb:${namespace}` });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await queue?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await dropSchemas(schema);
  });

  test('is served with CSP and frame protection, and signs in without localStorage', async () => {
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const res = await page.goto(`http://127.0.0.1:${requests.appPort}/admin/cluster?refresh=300`);
    expect(res!.headers()['content-security-policy']).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
    expect(res!.headers()['x-frame-options']).toBe('DENY');
    await page.fill('#sign-in input[name=password]', ROOT_PASSWORD);
    await page.click('#sign-in button');
    await page.waitForSelector('#nodes [data-node]');
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  test('the live queue table is a Server-Sent Events stream, for root and admin only', async () => {
    const firstEvent = async (authorization?: string) => {
      const controller = new AbortController();
      const res = await fetch(`http://127.0.0.1:${requests.appPort}/admin/cluster/events?interval=500`, { headers: authorization ? { authorization } : {}, signal: controller.signal });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
      controller.abort();
      const [, name, data] = /^event: (.*)\ndata: (.*)$/m.exec(text)!;
      return { name, data: JSON.parse(data!) };
    };
    expect(await firstEvent()).toMatchObject({ name: 'error', data: { status: 401 } });
    const ok = await firstEvent(`Bearer ${token}`);
    expect(ok).toMatchObject({ name: 'queues', data: { queues: expect.any(Array), unreachable: [] } });
  });

  test('shows the three nodes grouped by role', async () => {
    await until(async () => (await page.$$('#nodes [data-node]')).length === 3);
    expect(await text(`[data-role="requests"] [data-node="${id.r}"] strong`)).toBe(id.r);
    for (const w of [id.w1, id.w2]) expect(await page.getAttribute(`[data-role="workflow:process"] [data-node="${w}"]`, 'data-status')).toBe('ready');
  });

  test('drained from the page, the workflow nodes leave a backlog whose depth the page shows; a dead letter is requeued and one discarded', async () => {
    for (const w of [id.w1, id.w2]) {
      await page.click(`[data-drain="${w}"]`);
      await page.waitForSelector(`[data-node="${w}"][data-status="drained"]`);
    }
    await call('POST', 'collections:create', { name: 'things', fields: [{ name: 'title', type: 'string' }] });
    const wf = (await call('POST', 'workflows:create', { title: 'noop', type: 'collection', config: { mode: 1, collection: 'things' } })).body.data;
    await call('POST', `workflows/${wf.id}/nodes:create`, { type: 'calculation', upstreamId: null, config: { engine: 'math.js', expression: '1 + 1' } });
    await call('POST', `workflows:update?filterByTk=${wf.id}`, { enabled: true });
    for (let i = 0; i < 4; i += 1) await call('POST', 'things:create', { title: `t${i}` });
    await until(async () => Number(await text('tr[data-channel="workflow.main"] td[data-waiting]')) === 4);

    // Two dead letters (messages no execution matches): one requeued (back in the backlog), one discarded.
    await queue.publish('workflow.main', { app: 'main', executionId: 'bad' }, { attempts: 1, jobId: 'page-a' });
    await queue.publish('workflow.main', { app: 'main', executionId: 'bad' }, { attempts: 1, jobId: 'page-b' });
    await page.click(`[data-undrain="${id.w1}"]`);
    await page.waitForSelector('[data-dead="workflow.main#page-a"]');
    await page.waitForSelector('[data-dead="workflow.main#page-b"]');
    await until(async () => Number(await text('tr[data-channel="workflow.main"] td[data-waiting]')) === 0);
    await page.click(`[data-drain="${id.w1}"]`);
    await page.waitForSelector(`[data-node="${id.w1}"][data-status="drained"]`);
    await page.click('[data-discard="workflow.main#page-b"]');
    await page.click('[data-requeue="workflow.main#page-a"]');
    await until(async () => (await page.$$('[data-dead]')).length === 0);
    // The requeued message waits again: the live table (SSE) shows it within an interval.
    await until(async () => Number(await text('tr[data-channel="workflow.main"] td[data-waiting]')) === 1);
    await screenshot(page, 'cluster-page-drained.png');

    await page.click(`[data-undrain="${id.w2}"]`);
    await page.waitForSelector(`[data-node="${id.w2}"][data-status="ready"]`);
    await until(async () => Number(await text('tr[data-channel="workflow.main"] td[data-waiting]')) === 0);
    // The requeued one failed again (it matches no execution); the discarded one is gone for good.
    await page.waitForSelector('[data-dead="workflow.main#page-a"]');
    expect(await page.$('[data-dead="workflow.main#page-b"]')).toBeNull();
    await screenshot(page, 'cluster-page.png');
  });
});
