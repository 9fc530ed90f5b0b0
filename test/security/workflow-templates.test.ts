import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAbuseNode, type AbuseNode } from './support';

/**
 * Item 4: a value from data must stay a value. In a filter, an operator object (`{"$ne": …}`) from
 * a record must not widen an admin's destroy to every row; in a request URL, `../../admin?x=1#` must
 * not change the path.
 */
describe('abuse: template values that change meaning', () => {
  let n: AbuseNode;
  let target: Server;
  let targetBase: string;
  const seen: string[] = [];

  beforeAll(async () => {
    target = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.2', r));
    targetBase = `http://127.0.0.2:${(target.address() as AddressInfo).port}`;
    n = await startAbuseNode({ WORKFLOW_REQUEST_ALLOW: '127.0.0.2' });
    expect((await n.api.call('POST', 'collections:create', { name: 'notes', fields: [{ name: 'title', type: 'string' }] }, n.admin)).status).toBe(200);
    for (const title of ['a', 'b', 'c']) await n.api.call('POST', 'notes:create', { title }, n.admin);
  });

  afterAll(async () => {
    await n?.stop();
    target?.closeAllConnections();
    target?.close();
  });

  async function execute(nodeConfig: Record<string, unknown>, type: string, context: unknown): Promise<{ status: number; jobs: unknown }> {
    const wf = (await n.api.call('POST', 'workflows:create', { title: 'tpl', type: 'schedule', config: { mode: 0 } }, n.admin)).body.data;
    expect((await n.api.call('POST', `workflows/${wf.id}/nodes:create`, { type, upstreamId: null, config: nodeConfig }, n.admin)).status).toBe(200);
    const id = (await n.api.call('POST', `workflows:execute?filterByTk=${wf.id}`, context, n.admin)).body.data.execution.id;
    for (;;) {
      const e = (await n.api.call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`, undefined, n.admin)).body.data;
      if (e && e.status !== null && e.status !== 0) return e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test('an operator object in a filter variable fails the destroy node; no row is deleted', async () => {
    const destroy = { collection: 'notes', params: { filter: { title: '{{$context.title}}' } } };
    const e = await execute(destroy, 'destroy', { title: { $ne: 'zzz' } });
    expect(e.status).not.toBe(1);
    expect(JSON.stringify(e.jobs)).toContain('must be a value or a list of values');
    expect((await n.api.call('GET', 'notes:count', undefined, n.admin)).body.data).toBe(3);
    // A scalar still binds as before.
    const ok = await execute(destroy, 'destroy', { title: 'a' });
    expect(ok.status).toBe(1);
    expect((await n.api.call('GET', 'notes:count', undefined, n.admin)).body.data).toBe(2);
  });

  test('a value in a request URL is percent-encoded and cannot change the path or query', async () => {
    const e = await execute({ method: 'GET', url: `${targetBase}/items/{{$context.id}}?q={{$context.q}}` }, 'request', { id: '../../admin?x=1#', q: 'a&admin=1' });
    expect(e.status).toBe(1);
    expect(seen.at(-1)).toBe('/items/..%2F..%2Fadmin%3Fx%3D1%23?q=a%26admin%3D1');
  });
});
