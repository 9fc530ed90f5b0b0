import { ServiceBroker } from 'moleculer';
import { loadConfig } from '../../../shared/config';
import { freePort } from '../../../shared/db';
import { createBrokerOptions, type ServiceEntry } from '../../../shared/runtime';
import ApiService = require('../../../services/api.service');
import DataService = require('../../../services/data.service');
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { requireBuild } from '../../support/node-process';
import { requireServices } from '../../support/services';

// The probe service is plain JS over the compiled runtime (see test/fixtures/services).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain-JS fixture (no types), read when a test starts its node
const probeSchema = () => require('../../fixtures/services/probe.service.js');

describe('the API gateway', () => {
  const schema = uniqueSchema('gw');
  let broker: ServiceBroker;
  let base: string;
  let metricsUrl: string;

  beforeAll(async () => {
    await requireServices('postgres');
    requireBuild();
    const [appPort, healthPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: schema,
      APP_PORT: String(appPort),
      HEALTH_PORT: String(healthPort),
      APP_HOST: '127.0.0.1',
      HTTP_BODY_LIMIT: '1kb',
      LOG_LEVEL: 'fatal',
    });
    const catalogue = (): ServiceEntry[] => [];
    const { brokerOptions } = createBrokerOptions(config, { catalogue });
    broker = new ServiceBroker({ ...brokerOptions, logger: false });
    broker.createService(ApiService);
    broker.createService(DataService);
    broker.createService(probeSchema());
    await broker.start();
    base = `http://127.0.0.1:${appPort}/api`;
    metricsUrl = `http://127.0.0.1:${healthPort}/metrics`;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  const errorsOf = async (res: Response) => ((await res.json()) as { errors: Array<{ message: string; code: string }> }).errors;
  const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('answers the health check with `ok`, as NocoBase does', async () => {
    const res = await fetch(`${base}/__health_check`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  test('dispatches resource:action to the declaring action and answers in the {data, meta} envelope', async () => {
    const res = await fetch(`${base}/probe:list?page=3`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: [{ page: 3 }], meta: { count: 1 } });
    const info = await (await fetch(`${base}/app:getInfo`)).json();
    expect(info).toMatchObject({ data: { database: { dialect: 'postgres' }, name: 'main' } });
  });

  test('passes the body as `values` and the X-App header as the app', async () => {
    const res = await fetch(`${base}/probe:create`, { ...json({ name: 'Widget' }), headers: { 'content-type': 'application/json', 'x-app': 'shop' } });
    expect(await res.json()).toEqual({ data: { name: 'Widget', app: 'shop' } });
  });

  test("NocoBase's nested query strings arrive parsed: filter[x.$op]=…, fields[]=…", async () => {
    const res = await fetch(`${base}/probe:get?filter[title.$includes]=Item%201&fields[]=id&fields[]=title&filterByTk=7`);
    expect(await res.json()).toEqual({ data: { filter: { 'title.$includes': 'Item 1' }, fields: ['id', 'title'], filterByTk: '7', resourceName: 'probe' } });
  });

  test('REST-style paths reach the same actions', async () => {
    expect(await (await fetch(`${base}/probe/42`)).json()).toEqual({ data: { filterByTk: '42', resourceName: 'probe' } });
    expect(await (await fetch(`${base}/probe/42`, { method: 'DELETE' })).json()).toEqual({ data: { destroyed: '42' } });
    expect((await fetch(`${base}/probe`)).status).toBe(200);
  });

  test('an unknown resource or action is a JSON 404 naming it', async () => {
    // (`<name>:list` and `<name>/<id>/<relation>:list` reach the records and association resources,
    // which answer 404 for an unknown collection or relation; an action none of them has is a 404 here.)
    const resource = await fetch(`${base}/nothing/1/things:explode`);
    expect(resource.status).toBe(404);
    expect(await resource.json()).toEqual({ errors: [{ message: 'Action "explode" not found on resource "nothing.things"', code: 'CB_ERR_HTTP_NOT_FOUND' }] });
    const action = await fetch(`${base}/probe:explode`);
    expect(action.status).toBe(404);
    expect(await action.json()).toEqual({ errors: [{ message: 'Action "explode" not found on resource "probe"', code: 'CB_ERR_HTTP_NOT_FOUND' }] });
    const outside = await fetch(`${base.replace('/api', '')}/nowhere`);
    expect(outside.status).toBe(404);
    expect((await errorsOf(outside))[0].code).toBe('CB_ERR_HTTP_NOT_FOUND');
  });

  test('a write action refuses GET: a GET never creates', async () => {
    const res = await fetch(`${base}/probe:create?values[name]=x`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, PUT, PATCH, DELETE');
    expect((await errorsOf(res))[0]).toMatchObject({ code: 'CB_ERR_HTTP_METHOD_NOT_ALLOWED' });
  });

  test('failed parameter validation is a 400 naming the field', async () => {
    const res = await fetch(`${base}/probe:create`, json({ name: 42 }));
    expect(res.status).toBe(400);
    const body = { errors: await errorsOf(res) };
    expect(body.errors[0].code).toBe('CB_ERR_VALIDATION');
    expect(body.errors[0].message).toMatch(/name/);
  });

  test('a catalogue error keeps its status, message and code', async () => {
    const res = await fetch(`${base}/probe:refuse`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ message: 'pageSize must be at most 1000', code: 'CB_ERR_VALIDATION' }] });
  });

  test('a crash inside an action is a generic 500: no stack, no internal message', async () => {
    const res = await fetch(`${base}/probe:crash`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ errors: [{ message: 'Internal server error', code: 'CB_ERR_INTERNAL' }] });
    expect(text).not.toMatch(/secret|probe\.js|at /);
  });

  test('malformed JSON is a 400, an oversized body a 413, an unknown content type a 415', async () => {
    const bad = await fetch(`${base}/probe:create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' });
    expect(bad.status).toBe(400);
    expect((await errorsOf(bad))[0].code).toBe('CB_ERR_HTTP_BAD_BODY');

    const big = await fetch(`${base}/probe:create`, json({ name: 'x'.repeat(2048) }));
    expect(big.status).toBe(413);
    expect((await errorsOf(big))[0].code).toBe('CB_ERR_HTTP_BODY_TOO_LARGE');

    const xml = await fetch(`${base}/probe:create`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    expect(xml.status).toBe(415);
    expect((await errorsOf(xml))[0].code).toBe('CB_ERR_HTTP_UNSUPPORTED_MEDIA');
  });

  test("every call gets its own EntityManager, bound to its app's schema", async () => {
    type Em = { data: { id: number; schema: string; same: boolean } };
    const first = (await (await fetch(`${base}/probe:em`)).json()) as Em;
    const second = (await (await fetch(`${base}/probe:em`)).json()) as Em;
    const shop = (await (await fetch(`${base}/probe:em`, { headers: { 'x-app': 'shop' } })).json()) as Em;
    expect(first.data.id).not.toBe(second.data.id);
    expect(first.data).toMatchObject({ schema, same: true });
    expect(shop.data.schema).toBe('app_shop');
  });

  test('publishes an OpenAPI document of its routes, generated from their schemas, and a docs page', async () => {
    const doc = (await (await fetch(`${base}/__openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { parameters: Array<{ name: string; required: boolean; schema: unknown }>; requestBody?: { content: Record<string, { schema: unknown }> } }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/app:getInfo', '/api/probe:create', '/api/probe:slow']));
    // A write is POST only, with its body schema from the action's `values` params.
    expect(Object.keys(doc.paths['/api/probe:create']!)).toEqual(['post']);
    expect(doc.paths['/api/probe:create']!.post!.requestBody!.content['application/json']!.schema).toEqual({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 } },
      required: ['name'],
    });
    expect(doc.paths['/api/probe:slow']!.get!.parameters).toEqual([{ name: 'ms', in: 'query', required: true, schema: { type: 'number' , exclusiveMinimum: 0 } }]);

    const page = await fetch(`${base}/__docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/api/__openapi.json');
    expect((await fetch(`${base}/__docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });

  test('form bodies are accepted like JSON, and an empty body of either type is no body', async () => {
    const form = await fetch(`${base}/probe:create`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Widget' });
    expect(await form.json()).toEqual({ data: { name: 'Widget', app: 'main' } });
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      const empty = await fetch(`${base}/probe:destroy?filterByTk=9`, { method: 'POST', headers: { 'content-type': type }, body: '' });
      expect(empty.status).toBe(200);
    }
  });

  test('an invalid X-App header is a 400', async () => {
    const res = await fetch(`${base}/probe:list`, { headers: { 'x-app': '../etc' } });
    expect(res.status).toBe(400);
  });

  test('request durations are exported on /metrics by route and status', async () => {
    await fetch(`${base}/probe:list`);
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toMatch(/cb_http_request_duration_seconds_count\{[^}]*method="GET"[^}]*route="probe:list"[^}]*status="200"[^}]*\} \d+/);
    expect(text).toMatch(/moleculer_request_total/);
    // A valid Prometheus histogram: buckets in increasing `le` order.
    const les = [...text.matchAll(/cb_http_request_duration_seconds_bucket\{[^}]*route="probe:list"[^}]*status="200",le="([^"]+)"\}/g)].map((m) => m[1]);
    const finite = les.filter((le) => le !== '+Inf').map(Number);
    expect(finite.length).toBeGreaterThan(3);
    expect(finite).toEqual([...finite].sort((a, b) => a - b));
    expect(les[les.length - 1]).toBe('+Inf');
  });
});
