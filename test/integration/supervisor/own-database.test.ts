import { randomBytes } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import pg from 'pg';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../support/database';
import { startSharedMemorySupervisor } from '../../support/supervisor-node';
import { jsonCaller } from '../../support/http';
import { requireServices } from '../../support/services';
import { APP_ROOT_PASSWORD, ROOT_PASSWORD } from '../../support/root';

/**
 * An application created with `database: {kind: "database"}` keeps its data in a PostgreSQL database of
 * its own on the environment's server (created on first start), not in the node's database.
 */
describe('a sub-application in a database of its own', () => {
  const schema = uniqueSchema('owndb');
  const app = `d${randomBytes(4).toString('hex')}`;
  const dbName = `cb_app_${app}`;
  let broker: ServiceBroker;
  let origin: string;
  let token = '';

  const call = jsonCaller(() => origin, () => token);
  /** Tables of `schemaName` in database `database` of the test server. */
  const tables = async (database: string, schemaName: string): Promise<string[]> => {
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const { rows } = await client.query<{ tablename: string }>('select tablename from pg_tables where schemaname = $1 order by 1', [schemaName]);
      return rows.map((r) => r.tablename);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await requireServices('postgres');
    ({ broker, origin } = await startSharedMemorySupervisor(schema));
    token = (await call('POST', '/api/auth:signIn', { account: 'nocobase', password: ROOT_PASSWORD })).body.data.token;
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema, `app_${app}`);
    const admin = new pg.Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    await admin.query(`drop database if exists "${dbName}" with (force)`).finally(() => admin.end());
  });

  test('records of the app live in its own database; the node database has no trace of them', async () => {
    const created = await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: app, database: { kind: 'database' } });
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({ database: { kind: 'database', name: dbName, schema: `app_${app}` } });
    expect(created.body.data.statuses.local.status).toBe('running');

    const sub = (await call('POST', `/apps/${app}/api/auth:signIn`, { account: 'nocobase', password: APP_ROOT_PASSWORD }, '')).body.data.token as string;
    expect((await call('POST', `/apps/${app}/api/collections:create`, { name: 'orders', fields: [{ name: 'title', type: 'string' }] }, sub)).status).toBe(200);
    expect((await call('POST', `/apps/${app}/api/orders:create`, { title: 'kept apart' }, sub)).status).toBe(200);
    expect((await call('GET', `/apps/${app}/api/orders:list`, undefined, sub)).body.data.map((r: { title: string }) => r.title)).toEqual(['kept apart']);

    const own = await tables(dbName, `app_${app}`);
    expect(own).toEqual(expect.arrayContaining(['orders', 'users', 'cb_migrations']));
    expect(await tables(new URL(testDatabaseUrl()).pathname.slice(1), `app_${app}`)).toEqual([]);

    // Stop closes its pool; start opens it again and finds the data.
    expect((await call('POST', `/api/applications:stop?filterByTk=${app}`)).status).toBe(200);
    expect((await call('POST', `/api/applications:start?filterByTk=${app}`)).status).toBe(200);
    const again = (await call('POST', `/apps/${app}/api/auth:signIn`, { account: 'nocobase', password: APP_ROOT_PASSWORD }, '')).body.data.token as string;
    expect((await call('GET', `/apps/${app}/api/orders:list`, undefined, again)).body.data).toHaveLength(1);

    // Removing with dropData drops its tables in its own database.
    expect((await call('POST', `/api/applications:destroy?filterByTk=${app}&dropData=true`)).body.data).toEqual({ name: app, dataDropped: true });
    expect(await tables(dbName, `app_${app}`)).toEqual(['cb_migrations']);
  });

  test('a bad database setting is a 400 naming it', async () => {
    const bad = await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: `x${app}`, database: { kind: 'database', name: 'Bad-Name!' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors![0]!.message).toContain('database.name');
    const kind = await call('POST', '/api/applications:create', { rootUser: { password: APP_ROOT_PASSWORD }, name: `y${app}`, database: { kind: 'mysql' } });
    expect(kind.status).toBe(400);
    expect(kind.body.errors![0]!.message).toContain('"kind":"database"');
  });
});
