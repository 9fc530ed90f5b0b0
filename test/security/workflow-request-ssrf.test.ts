import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../shared/db';
import { startAbuseNode, type AbuseNode } from './support';

/**
 * Item 3: the workflow request node must not be a proxy into the node's own network. Internal
 * targets (the management port, PostgreSQL, metadata, obscure spellings of 127.0.0.1, redirects to
 * them) fail alike with one generic error that says nothing about the port; WORKFLOW_REQUEST_ALLOW
 * opens deliberate internal targets only.
 */
describe('abuse: SSRF through the workflow request node', () => {
  let n: AbuseNode;
  let allowed: Server;
  let allowedBase: string;
  let metricsPort: number;
  const GENERIC = { message: 'The request target is refused or unreachable', code: 'EUNREACHABLE' };

  beforeAll(async () => {
    // A deliberate internal service on 127.0.0.2 (allowed); it redirects wherever `?to=` says.
    allowed = createServer((req, res) => {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
      if (to) res.writeHead(302, { location: to }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"internal":true}');
    });
    await new Promise<void>((r) => allowed.listen(0, '127.0.0.2', r));
    allowedBase = `http://127.0.0.2:${(allowed.address() as AddressInfo).port}`;
    n = await startAbuseNode({ WORKFLOW_REQUEST_ALLOW: '127.0.0.2/32', WORKFLOW_REQUEST_MAX_TIMEOUT: '2' });
    metricsPort = n.node.config.health.port;
  });

  afterAll(async () => {
    await n?.stop();
    allowed?.closeAllConnections();
    allowed?.close();
  });

  /** Runs a one-node workflow calling `config`; answers the request job. */
  async function runRequest(config: Record<string, unknown>): Promise<{ status: number; result: unknown }> {
    const wf = (await n.api.call('POST', 'workflows:create', { title: 'probe', type: 'schedule', config: { mode: 0 } }, n.admin)).body.data;
    await n.api.call('POST', `workflows/${wf.id}/nodes:create`, { type: 'request', upstreamId: null, config: { method: 'GET', ...config } }, n.admin);
    const id = (await n.api.call('POST', `workflows:execute?filterByTk=${wf.id}`, {}, n.admin)).body.data.execution.id;
    for (;;) {
      const e = (await n.api.call('GET', `executions:get?filterByTk=${id}&appends[]=jobs`, undefined, n.admin)).body.data;
      if (e && e.status !== null && e.status !== 0) return e.jobs[0];
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test.each([
    ['the management port', () => `http://127.0.0.1:${metricsPort}/metrics`],
    ['localhost by name', () => `http://localhost:${metricsPort}/readyz`],
    ['a decimal IPv4 address (2130706433)', () => `http://2130706433:${metricsPort}/metrics`],
    ['a hexadecimal IPv4 address', () => `http://0x7f.0.0.1:${metricsPort}/metrics`],
    ['an IPv4-mapped IPv6 address', () => `http://[::ffff:127.0.0.1]:${metricsPort}/metrics`],
    ['IPv6 loopback', () => `http://[::1]:${metricsPort}/metrics`],
    ['PostgreSQL', () => 'http://127.0.0.1:5432/'],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['a private address', () => 'http://10.0.0.1/'],
    ['the unspecified address', () => `http://0.0.0.0:${metricsPort}/metrics`],
    ['a redirect from an allowed host to the management port', () => `${allowedBase}/?to=${encodeURIComponent(`http://127.0.0.1:${metricsPort}/metrics`)}`],
  ])('refuses %s with the generic error', async (_name, url) => {
    const job = await runRequest({ url: url() });
    expect(job.status).toBe(-1);
    expect(job.result).toMatchObject(GENERIC);
    expect(JSON.stringify(job.result)).not.toMatch(/ECONNREFUSED|socket|closed|nodejs_|process_/i);
  });

  test('an open and a closed internal port answer the same', async () => {
    const closed = await freePort();
    const open = await runRequest({ url: 'http://127.0.0.1:5432/' });
    const shut = await runRequest({ url: `http://127.0.0.1:${closed}/` });
    expect(open.result).toEqual(shut.result);
  });

  test('an allowed internal host is reached; its closed ports fail with the same generic error', async () => {
    const ok = await runRequest({ url: `${allowedBase}/`, onlyData: true });
    expect(ok).toMatchObject({ status: 1, result: { internal: true } });
    const closed = await freePort();
    const shut = await runRequest({ url: `http://127.0.0.2:${closed}/` });
    expect(shut.result).toMatchObject(GENERIC);
  });

  test('the node’s timeout is capped by WORKFLOW_REQUEST_MAX_TIMEOUT', async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.2', r));
    try {
      const job = await runRequest({ url: `http://127.0.0.2:${(hanging.address() as AddressInfo).port}/`, timeout: 3_600_000 });
      expect(job.result).toMatchObject({ code: 'ETIMEDOUT', message: 'The request timed out after 2000 ms' });
    } finally {
      hanging.closeAllConnections();
      hanging.close();
    }
  });
});
