import { randomUUID } from 'node:crypto';
import { migrateSchema, openDatabase } from '../../../db';
import type { Database } from '../../../db';
import { ControlPlane } from '../../control-plane';
import { MemoryCommandBus } from '../../memory-command-bus';
import { MemoryRegistryCache } from '../../memory-registry-cache';
import { RegistryStore } from '../../registry-store';
import type { Command } from '../../types';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../../../test/support/database';
import { requireServices } from '../../../../test/support/services';
import type { Json } from '../../../../test/support/http';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('control plane over environments (registry in PostgreSQL, in-process bus and cache)', () => {
  const schema = uniqueSchema('cp');
  let db: Database;
  let cache: MemoryRegistryCache;
  let bus: MemoryCommandBus;
  let plane: ControlPlane;
  const log: Array<{ env: string; type: string; app: string; at: number; phase: 'begin' | 'end' }> = [];
  const failOn = new Set<string>();

  // env_a and env_b must stay available through the whole file however slow the machine is (a long
  // interval); the grace test uses its own environment with a 1 s interval.
  const heartbeat = (name: string, ago = 0, heartbeatMs = name === 'env_a' || name === 'env_b' ? 600_000 : 1000) =>
    cache.putEnvironment({ name, version: '0.1.0', url: `http://${name}.internal:1`, proxyUrl: name === 'env_b' ? `http://${name}-proxy:2` : null, lastHeartbeat: Date.now() - ago, heartbeatMs });

  const serve = (env: string) =>
    bus.serve(env, async (c: Command) => {
      log.push({ env, type: c.type, app: c.app, at: Date.now(), phase: 'begin' });
      await new Promise((r) => setTimeout(r, 50));
      if (failOn.has(`${env}:${c.app}`)) throw new Error(`disk full on ${env}`);
      log.push({ env, type: c.type, app: c.app, at: Date.now(), phase: 'end' });
    });

  beforeAll(async () => {
    await requireServices('postgres');
    db = await openDatabase({ url: testDatabaseUrl(), poolMax: 4, schema });
    await migrateSchema(db.orm, schema);
    cache = new MemoryRegistryCache();
    bus = new MemoryCommandBus();
    plane = new ControlPlane({
      store: new RegistryStore(() => db.fork(schema), schema),
      cache,
      bus,
      lock: (_key, fn) => fn(),
      ackTimeoutMs: 300,
      timeoutMs: 2000,
      graceMs: 1000,
      localEnvironment: null,
      schemaOf: (app) => `app_${app}`,
      log: quiet,
    });
    await heartbeat('env_a');
    await heartbeat('env_b');
    await serve('env_a');
    await serve('env_b');
    await plane.refresh();
  });

  afterAll(async () => {
    await db?.close();
    await dropSchemas(schema);
  });

  const name = () => `a${randomUUID().slice(0, 8)}`;

  test('an app on two environments starts on one, then the other: the second begins after the first is running', async () => {
    const app = name();
    const record = await plane.create({ name: app, environments: ['env_a', 'env_b'] });
    expect(record.statuses).toMatchObject({ env_a: { status: 'running' }, env_b: { status: 'running' } });
    const starts = log.filter((l) => l.app === app && l.type === 'start');
    expect(starts.map((l) => `${l.env}:${l.phase}`)).toEqual(['env_a:begin', 'env_a:end', 'env_b:begin', 'env_b:end']);
    expect(new Date(record.statuses.env_a!.finishedAt!).getTime()).toBeLessThanOrEqual(new Date(record.statuses.env_b!.startedAt!).getTime());
    // Cached for workers and the proxy.
    expect((await cache.apps()).find((a) => a.name === app)?.statuses.env_b?.status).toBe('running');
  });

  test('a failure stops the sequence and names the environment and the reason; stop reaches every environment', async () => {
    const app = name();
    failOn.add(`env_a:${app}`);
    await expect(plane.create({ name: app, environments: ['env_a', 'env_b'] })).rejects.toMatchObject({
      type: 'CB_ERR_SUPERVISOR_START_FAILED',
      data: { app, environment: 'env_a', reason: 'disk full on env_a' },
    });
    const record = await plane.app(app);
    expect(record.statuses.env_a).toMatchObject({ status: 'error', error: 'disk full on env_a' });
    expect(record.statuses.env_b!.status).toBe('stopped');
    expect(log.some((l) => l.app === app && l.env === 'env_b')).toBe(false);

    failOn.delete(`env_a:${app}`);
    await plane.start(app);
    const stopped = await plane.stop(app);
    expect(stopped.statuses).toMatchObject({ env_a: { status: 'stopped' }, env_b: { status: 'stopped' } });
    expect(log.filter((l) => l.app === app && l.type === 'stop' && l.phase === 'end').map((l) => l.env).sort()).toEqual(['env_a', 'env_b']);
  });

  test('the proxy route: 404 unknown, 400 listing environments when several and none picked, the pick, proxy URL over URL', async () => {
    const one = name();
    const two = name();
    await plane.create({ name: one, environments: ['env_b'] });
    await plane.create({ name: two, environments: ['env_a', 'env_b'] });
    expect(() => plane.route('nosuch', undefined)).toThrow(expect.objectContaining({ code: 404 }));
    expect(plane.route(one, undefined)).toEqual({ environment: 'env_b', url: 'http://env_b-proxy:2' });
    let err: Json;
    try {
      plane.route(two, undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 400, type: 'CB_ERR_SUPERVISOR_PICK_ENVIRONMENT', data: { environments: ['env_a', 'env_b'] } });
    expect(err.message).toContain('env_a, env_b');
    expect(plane.route(two, 'env_a')).toEqual({ environment: 'env_a', url: 'http://env_a.internal:1' });
    expect(() => plane.route(two, 'env_c')).toThrow(expect.objectContaining({ code: 400 }));
  });

  test('an environment past its heartbeat grace is unavailable: its apps route to 503, starting there fails naming it', async () => {
    await bus.serve('env_c', async () => undefined);
    await heartbeat('env_c');
    await plane.refresh();
    const app = name();
    await plane.create({ name: app, environments: ['env_c'] });
    expect(plane.route(app, undefined).environment).toBe('env_c');

    await heartbeat('env_c', 1500); // one interval late: still within the grace
    await plane.refresh();
    expect((await plane.environment('env_c')).available).toBe(true);

    await heartbeat('env_c', 2500);
    await plane.refresh();
    expect((await plane.environment('env_c')).available).toBe(false);
    expect(() => plane.route(app, undefined)).toThrow(expect.objectContaining({ code: 503, type: 'CB_ERR_SUPERVISOR_NO_ENVIRONMENT' }));
    await expect(plane.start(app)).rejects.toMatchObject({ type: 'CB_ERR_SUPERVISOR_START_FAILED', data: { environment: 'env_c' } });
  });

  test('an environment that never acknowledges: the command times out and is recorded so', async () => {
    await heartbeat('env_silent');
    await plane.refresh();
    const app = name();
    await expect(plane.create({ name: app, environments: ['env_silent'] })).rejects.toMatchObject({ data: { environment: 'env_silent' } });
    const commands = await plane.commands(app);
    expect(commands).toEqual([expect.objectContaining({ command: 'start', status: 'timeout', environment: 'env_silent', acknowledged_at: null })]);
  });

  test('creating on an unknown environment is refused, listing the registered ones', async () => {
    await expect(plane.create({ name: name(), environments: ['env_x'] })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('env_a') });
    await expect(plane.create({ name: name(), environments: [] })).rejects.toMatchObject({ code: 400 });
  });

  test('environments are persisted in the supervisor database from their heartbeats', async () => {
    const stored = await new RegistryStore(() => db.fork(schema), schema).environments();
    expect(stored.map((e) => e.name)).toEqual(expect.arrayContaining(['env_a', 'env_b']));
  });
});
