import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ServiceBroker, type BrokerOptions, type Context } from 'moleculer';
import type { FastifyInstance } from 'fastify';
import { freePort } from '../../../shared/db';
import { createGateway, HttpMetrics, restRoute, RouteTable } from '../../../shared/gateway';
import { requireServices, SERVICES } from '../../support/services';
import type { Json } from '../../support/http';

/**
 * The gateway's file plumbing with the action on another node (NATS): a multipart file streamed to a
 * remote action and its answer passed on; a remote stream answered with the action's status, type and headers.
 */
describe('gateway uploads and file answers across nodes', () => {
  const namespace = `gf${randomBytes(4).toString('hex')}`;
  const download = randomBytes(1024 * 1024);
  let gatewayNode: ServiceBroker;
  let actionNode: ServiceBroker;
  let server: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    await requireServices('nats');
    const options: BrokerOptions = { namespace, transporter: SERVICES.nats.url as never, logger: false };
    gatewayNode = new ServiceBroker({ ...options, nodeID: `${namespace}-gw` });
    actionNode = new ServiceBroker({ ...options, nodeID: `${namespace}-files` });
    actionNode.createService({
      name: 'files',
      actions: {
        upload: restRoute({ resource: '*', action: 'upload', write: true, upload: true }, {
          async handler(ctx: Context<Json, Json>) {
            if (ctx.meta.$upload) {
              const hash = createHash('sha256');
              let bytes = 0;
              for await (const chunk of (ctx as unknown as { stream: Readable }).stream) {
                hash.update(chunk);
                bytes += chunk.length;
              }
              return { field: ctx.meta.$upload.field, fileName: ctx.meta.$upload.fileName, bytes, sha256: hash.digest('hex'), node: ctx.broker.nodeID };
            }
            ctx.meta.$statusCode = 202;
            return { data: { values: ctx.params.values, files: ctx.params.files, resource: ctx.params.resourceName } };
          },
        }),
        download: restRoute({ resource: 'things', action: 'download', write: false }, {
          handler(ctx: Context<Json, Json>) {
            ctx.meta.$responseType = 'application/octet-stream';
            ctx.meta.$responseHeaders = { 'content-disposition': 'attachment; filename="thing.bin"' };
            return Readable.from([download.subarray(0, 500_000), download.subarray(500_000)]);
          },
        }),
        plain: restRoute({ resource: 'things', action: 'plain', write: true }, { handler: () => ({ data: 1 }) }),
      },
    });
    await Promise.all([gatewayNode.start(), actionNode.start()]);
    await gatewayNode.waitForServices('files');
    const routes = new RouteTable();
    routes.rebuild(gatewayNode.registry.getActionList({ onlyAvailable: true }) as never);
    const port = await freePort();
    server = createGateway(gatewayNode, {
      host: '127.0.0.1',
      port,
      bodyLimit: 1024 * 1024,
      routes,
      isAvailable: () => true,
      logger: gatewayNode.getLogger('api'),
      metrics: new HttpMetrics({ namespace, nodeID: gatewayNode.nodeID }),
      version: 'test',
    });
    await server.listen({ host: '127.0.0.1', port });
    base = `http://127.0.0.1:${port}/api`;
  });

  afterAll(async () => {
    await server?.close();
    await Promise.all([gatewayNode?.stop(), actionNode?.stop()]);
  });

  test('a multipart file larger than the body limit is streamed to the remote action; fields after it arrive as values', async () => {
    const file = randomBytes(3 * 1024 * 1024 + 17);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(file)]), 'big.bin');
    form.append('columns', '[1,2]');
    const res = await fetch(`${base}/products:upload`, { method: 'POST', body: form });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { data: Json };
    expect(body.data).toEqual({
      resource: 'products',
      values: { columns: '[1,2]' },
      files: { file: { field: 'file', fileName: 'big.bin', bytes: file.length, sha256: createHash('sha256').update(file).digest('hex'), node: `${namespace}-files` } },
    });
  });

  test("a remote stream is answered with the action's content type and headers", async () => {
    const res = await fetch(`${base}/things:download`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="thing.bin"');
    expect(Buffer.from(await res.arrayBuffer()).equals(download)).toBe(true);
  });

  test('multipart on a route that takes no uploads is a 415', async () => {
    const form = new FormData();
    form.append('file', new Blob(['x']), 'x.txt');
    const res = await fetch(`${base}/things:plain`, { method: 'POST', body: form });
    expect(res.status).toBe(415);
  });
});
