import Fastify, { type FastifyInstance } from 'fastify';
import { performRequest, requestPolicy, runRequestNode } from '../index.js';

/** The test server listens on loopback, which the default policy refuses. */
const local = requestPolicy({ allow: ['127.0.0.1'] });

let server: FastifyInstance;
let base: string;
const calls = new Map<string, Array<{ key: unknown; body: unknown }>>();
const failuresLeft = new Map<string, number>();
const held: Array<(value: unknown) => void> = [];

function record(route: string, key: unknown, body: unknown): number {
  const list = calls.get(route) ?? [];
  list.push({ key, body });
  calls.set(route, list);
  return list.length;
}

beforeAll(async () => {
  server = Fastify({ logger: false });
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  server.all('/echo', async (request) => ({ method: request.method, query: request.query, body: request.body ?? null, headers: request.headers }));
  server.get('/stall', (_request, reply) => {
    // Headers now, body never: the attempt's timeout must cover reading the body.
    reply.raw.writeHead(200, { 'content-type': 'application/json' });
    reply.raw.write('{"partial":');
    held.push(() => reply.raw.end('1}'));
  });
  server.get('/big', async (_request, reply) => reply.type('text/plain').send('x'.repeat(100_000)));
  server.get('/text', async (_request, reply) => reply.type('text/plain').send('plain text'));
  server.get('/slow', async () => {
    // Held until the test ends (never answered in time), released in afterAll so nothing outlives the suite.
    await new Promise((resolve) => held.push(resolve));
    return { late: true };
  });
  server.post('/flaky/:id', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    record(id, request.headers['idempotency-key'], request.body);
    const left = failuresLeft.get(id) ?? 0;
    if (left > 0) {
      failuresLeft.set(id, left - 1);
      return reply.code(id.startsWith('429') ? 429 : 503).header('retry-after', '0').send({ error: 'try later' });
    }
    return { ok: true, id };
  });
  server.post('/bad', async (request, reply) => {
    record('bad', request.headers['idempotency-key'], request.body);
    return reply.code(422).send({ errors: [{ message: 'nope' }] });
  });
  base = await server.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  for (const release of held) release(undefined);
  await server.close();
});

describe('performRequest', () => {
  it('sends method, params, headers, JSON body and the Idempotency-Key, and parses JSON', async () => {
    const result = await performRequest(
      { method: 'post', url: `${base}/echo`, params: [{ name: 'q', value: 'a b' }, { name: '', value: 'skipped' }], headers: [{ name: 'X-Token', value: 't1' }], data: { id: 11880, nested: { a: 1 } } },
      { policy: local, idempotencyKey: 'exec1:node1' },
    );
    expect(result.status).toBe(200);
    const data = result.data as { method: string; query: unknown; body: unknown; headers: Record<string, string> };
    expect(data.method).toBe('POST');
    expect(data.query).toEqual({ q: 'a b' });
    expect(data.body).toEqual({ id: 11880, nested: { a: 1 } });
    expect(data.headers['x-token']).toBe('t1');
    expect(data.headers['idempotency-key']).toBe('exec1:node1');
    expect(data.headers['content-type']).toBe('application/json');
    expect(result.headers?.['content-type']).toMatch(/json/);
  });

  it('sends form bodies and returns text as text', async () => {
    const form = await performRequest({ url: `${base}/echo`, contentType: 'application/x-www-form-urlencoded', data: [{ name: 'a', value: 1 }, { name: 'b', value: 'x' }] }, { policy: local, idempotencyKey: 'k' });
    expect((form.data as { body: unknown }).body).toEqual({ a: '1', b: 'x' });
    const text = await performRequest({ method: 'GET', url: `${base}/text` }, { policy: local, idempotencyKey: 'k' });
    expect(text.data).toBe('plain text');
  });

  it('refuses a response larger than maxResponseBytes', async () => {
    await expect(performRequest({ method: 'GET', url: `${base}/big`, maxResponseBytes: 1000, retries: 2 }, { policy: local, idempotencyKey: 'k' })).rejects.toMatchObject({
      type: 'CB_ERR_WORKFLOW_REQUEST_FAILED',
      data: { code: 'ERESPONSETOOLARGE' },
    });
    await expect(performRequest({ method: 'GET', url: `${base}/big` }, { policy: local, idempotencyKey: 'k' })).resolves.toMatchObject({ status: 200 });
  });

  it('times out an attempt', async () => {
    await expect(performRequest({ method: 'GET', url: `${base}/slow`, timeout: 100 }, { policy: local, idempotencyKey: 'k' })).rejects.toMatchObject({
      type: 'CB_ERR_WORKFLOW_REQUEST_FAILED',
      data: { code: 'ETIMEDOUT', attempts: 1 },
    });
  });

  it('times out a body that stalls after the headers', async () => {
    await expect(performRequest({ method: 'GET', url: `${base}/stall`, timeout: 200 }, { policy: local, idempotencyKey: 'k' })).rejects.toMatchObject({
      type: 'CB_ERR_WORKFLOW_REQUEST_FAILED',
      data: { code: 'ETIMEDOUT' },
    });
  });

  it('retries a 503 then succeeds, with the same Idempotency-Key on every attempt', async () => {
    failuresLeft.set('a', 2);
    const result = await performRequest({ url: `${base}/flaky/a`, data: { n: 1 }, retries: 3, retryDelay: 10 }, { policy: local, idempotencyKey: 'exec9:node3' });
    expect(result.data).toEqual({ ok: true, id: 'a' });
    const attempts = calls.get('a') ?? [];
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((call) => call.key))).toEqual(new Set(['exec9:node3']));
    expect(attempts.every((call) => JSON.stringify(call.body) === '{"n":1}')).toBe(true);
  });

  it('retries a 429 honouring Retry-After', async () => {
    failuresLeft.set('429b', 1);
    await expect(performRequest({ url: `${base}/flaky/429b`, retries: 1, retryDelay: 10 }, { policy: local, idempotencyKey: 'k' })).resolves.toMatchObject({ status: 200 });
    expect(calls.get('429b')).toHaveLength(2);
  });

  it('gives up after its retries with the last response', async () => {
    failuresLeft.set('c', 5);
    await expect(performRequest({ url: `${base}/flaky/c`, retries: 1, retryDelay: 10 }, { policy: local, idempotencyKey: 'k' })).rejects.toMatchObject({
      type: 'CB_ERR_WORKFLOW_REQUEST_FAILED',
      data: { status: 503, data: { error: 'try later' }, attempts: 2 },
    });
    expect(calls.get('c')).toHaveLength(2);
  });

  it('does not retry a 4xx', async () => {
    await expect(performRequest({ url: `${base}/bad`, retries: 3, retryDelay: 10 }, { policy: local, idempotencyKey: 'k' })).rejects.toMatchObject({
      type: 'CB_ERR_WORKFLOW_REQUEST_FAILED',
      data: { status: 422, data: { errors: [{ message: 'nope' }] } },
    });
    expect(calls.get('bad')).toHaveLength(1);
  });

  it('retries a refused connection and reports it as unreachable', async () => {
    const closed = Fastify();
    const url = await closed.listen({ port: 0, host: '127.0.0.1' });
    await closed.close();
    await expect(performRequest({ method: 'GET', url: `${url}/x`, retries: 1, retryDelay: 10 }, { policy: local, idempotencyKey: 'k' })).rejects.toMatchObject({
      type: 'CB_ERR_WORKFLOW_REQUEST_FAILED',
      data: { code: 'EUNREACHABLE', attempts: 2 },
    });
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/x', 'javascript:alert(1)', 'not a url', ''])('refuses the URL %p', async (url) => {
    await expect(performRequest({ url }, { policy: local, idempotencyKey: 'k' })).rejects.toMatchObject({ type: 'CB_ERR_VALIDATION', code: 400 });
  });

  it('stops at once when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = performRequest({ method: 'GET', url: `${base}/slow`, timeout: 10_000, retries: 5 }, { policy: local, idempotencyKey: 'k', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('canceled')), 50);
    await expect(pending).rejects.toThrow('canceled');
  });
});

describe('runRequestNode', () => {
  it('resolves with the response, or only the body with onlyData', async () => {
    await expect(runRequestNode({ method: 'GET', url: `${base}/text` }, { policy: local, idempotencyKey: 'k' })).resolves.toMatchObject({ status: 'resolved', result: { status: 200, data: 'plain text' } });
    await expect(runRequestNode({ method: 'GET', url: `${base}/text`, onlyData: true }, { policy: local, idempotencyKey: 'k' })).resolves.toEqual({ status: 'resolved', result: 'plain text' });
  });

  it('fails the job with the failure, or resolves it with ignoreFail', async () => {
    await expect(runRequestNode({ url: `${base}/bad` }, { policy: local, idempotencyKey: 'k' })).resolves.toMatchObject({ status: 'failed', result: { status: 422 } });
    await expect(runRequestNode({ url: `${base}/bad`, ignoreFail: true }, { policy: local, idempotencyKey: 'k' })).resolves.toMatchObject({ status: 'resolved', result: { status: 422 } });
    await expect(runRequestNode({ url: 'file:///etc/passwd' }, { policy: local, idempotencyKey: 'k' })).resolves.toMatchObject({ status: 'failed', result: { message: expect.stringContaining('http') } });
  });
});
