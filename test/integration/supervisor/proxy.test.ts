import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import SupervisorService = require('../../../services/supervisor.service');
import { keyPrefix, RedisCommandBus, RedisRegistryCache } from '../../../shared/supervisor';
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices, SERVICES } from '../../support/services';
import { ROOT_PASSWORD } from '../../support/root';
import type { Body, Json } from '../../support/http';

type EchoServer = { on(e: 'connection', f: (socket: Json, req: IncomingMessage) => void): void; close(): void; clients: Set<{ terminate(): void }> };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- ws (a dependency of @fastify/http-proxy) ships no types; typed by EchoServer above
const { WebSocketServer } = require('ws') as { WebSocketServer: new (o: { server: Server }) => EchoServer };


/**
 * The supervisor's proxy against a stand-in environment (an HTTP + websocket echo server that
 * heartbeats and answers commands over Redis like a worker), so what crosses the proxy can be seen.
 */
describe('supervisor proxy /apps/:appName/* (HTTP and websockets)', () => {
  const schema = uniqueSchema('px');
  const app = `p${randomBytes(4).toString('hex')}`;
  let broker: ServiceBroker;
  let origin: string;
  let token: string;
  let upstream: Server;
  let cache: RedisRegistryCache;
  let bus: RedisCommandBus;
  let beating: NodeJS.Timeout | undefined;
  let wss: EchoServer | undefined;

  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`${origin}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...headers }, body });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const heartbeat = (port: number) => cache.putEnvironment({ name: 'env_echo', version: 'echo-1', url: `http://127.0.0.1:1`, proxyUrl: `http://127.0.0.1:${port}`, lastHeartbeat: Date.now(), heartbeatMs: 300 });

  beforeAll(async () => {
    await requireServices('postgres', 'redis');
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { method: req.method, url: req.url, app: req.headers['x-app'], contentType: req.headers['content-type'] ?? null, body: Buffer.concat(chunks).toString() } }));
      });
    });
    const echo = new WebSocketServer({ server: upstream });
    wss = echo;
    echo.on('connection', (socket, req) => {
      socket.on('message', (m: Buffer) => socket.send(`${req.headers['x-app']} ${req.url} ${m.toString()}`));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;

    const node = await startInProcessNode(schema, [ApiService, AuthService, SupervisorService], {
      APP_MODE: 'supervisor',
      INIT_ROOT_PASSWORD: ROOT_PASSWORD,
      APP_DISCOVERY_ADAPTER: 'remote',
      APP_PROCESS_ADAPTER: 'remote',
      APP_COMMAND_ADAPTER: 'redis',
      APP_SUPERVISOR_REDIS_URL: SERVICES.redis.url,
      APP_COMMAND_REDIS_URL: SERVICES.redis.url,
      NAMESPACE: `px${randomBytes(4).toString('hex')}`,
      ENVIRONMENT_HEARTBEAT_INTERVAL: '0.3',
      ENVIRONMENT_HEARTBEAT_GRACE: '0.6',
      APP_COMMAND_ACK_TIMEOUT: '2',
    });
    broker = node.broker;
    origin = node.api.replace(/\/api$/, '');
    cache = new RedisRegistryCache(SERVICES.redis.url, keyPrefix(node.config));
    await cache.connect();
    bus = new RedisCommandBus(SERVICES.redis.url, keyPrefix(node.config), { warn: () => undefined, error: () => undefined });
    await bus.connect();
    await bus.serve('env_echo', async () => undefined);
    await heartbeat(port);
    beating = setInterval(() => void heartbeat(port), 150);
    const res = await fetch(`${origin}/api/auth:signIn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: 'nocobase', password: ROOT_PASSWORD }) });
    token = ((await res.json()) as Body).data.token;
    for (;;) {
      const envs = (await call('GET', '/api/environments:list')).body.data as Array<{ name: string; available: boolean }>;
      if (envs.some((e) => e.name === 'env_echo' && e.available)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const created = await call('POST', '/api/applications:create', JSON.stringify({ name: app, environments: ['env_echo'] }), { 'content-type': 'application/json' });
    expect(created.body.data.statuses.env_echo.status).toBe('running');
  });

  afterAll(async () => {
    clearInterval(beating);
    await bus?.close();
    await cache?.close();
    await broker?.stop();
    for (const client of wss?.clients ?? []) client.terminate();
    wss?.close();
    upstream?.closeAllConnections();
    upstream?.close();
    await dropSchemas(schema);
  });

  test('forwards to ENVIRONMENT_PROXY_URL as /<rest> with X-App, query and body bytes untouched', async () => {
    const json = '{"title":"a",  "n": 1}';
    const res = await call('POST', `/apps/${app}/api/orders:create?filter%5Bqty%5D=5&x=1`, json, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ method: 'POST', url: '/api/orders:create?filter%5Bqty%5D=5&x=1', app, contentType: 'application/json', body: json });
    const form = await call('POST', `/apps/${app}/api/auth:signOut`, '', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.body.data).toMatchObject({ url: '/api/auth:signOut', contentType: 'application/x-www-form-urlencoded', body: '' });
    expect((await call('GET', `/apps/${app}`)).body.data).toMatchObject({ url: '/', app });
  });

  test('websockets are forwarded with X-App', async () => {
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/apps/${app}/ws/live?x=1`);
    const answer = await new Promise<string>((resolve, reject) => {
      socket.onopen = () => socket.send('hello');
      socket.onmessage = (m) => resolve(String(m.data));
      socket.onerror = () => reject(new Error('websocket failed'));
    });
    await new Promise((resolve) => {
      socket.onclose = resolve;
      socket.close();
    });
    expect(answer).toBe(`${app} /ws/live?x=1 hello`);
  });

  test('picking an environment the app does not run on is a 400; an unknown app a 404', async () => {
    expect((await call('GET', `/apps/${app}/api/x:list?environment=env_other`)).status).toBe(400);
    expect((await call('GET', `/apps/${app}/api/x:list`, undefined, { 'x-environment': 'env_other' })).status).toBe(400);
    const unknown = await call('GET', '/apps/nosuch/api/x:list');
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors![0]!.code).toBe('CB_ERR_SUPERVISOR_APP_NOT_FOUND');
  });

  test('heartbeats stop: after the grace period the app answers 503 saying its environment is unavailable', async () => {
    clearInterval(beating);
    for (;;) {
      const res = await call('GET', `/apps/${app}/api/x:list`);
      if (res.status === 503) {
        expect(res.body.errors![0]).toMatchObject({ code: 'CB_ERR_SUPERVISOR_NO_ENVIRONMENT', message: expect.stringContaining('env_echo') });
        return;
      }
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
