import pg from 'pg';
import { migrationsList } from '../../migrations';
import { ensureDatabase, migrateSchema, openDatabase, type Database } from '../../index';
import { dropSchemas, TEST_DATABASE, testDatabaseUrl, uniqueSchema } from '../../../../test/support/database';
import { requireServices } from '../../../../test/support/services';

describe('migrations at start', () => {
  const schema = uniqueSchema('mg');
  const dbs: Database[] = [];

  beforeAll(async () => {
    await requireServices('postgres');
    await ensureDatabase(testDatabaseUrl(), TEST_DATABASE);
    for (let i = 0; i < 3; i++) dbs.push(await openDatabase({ url: testDatabaseUrl(), poolMax: 2, schema }));
  });

  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.close()));
    await dropSchemas(schema);
  });

  test('three nodes starting together: one migrates, the others wait and find nothing to do', async () => {
    const reports = await Promise.all(dbs.map((db) => migrateSchema(db.orm, schema)));
    const applied = reports.flatMap((r) => r.applied);
    const all = migrationsList.map((m) => m.name);
    expect(applied).toEqual(all);

    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const runs = await client.query(`select name from "${schema}"."cb_migrations"`);
      expect(runs.rows.map((r: { name: string }) => r.name).sort()).toEqual([...all].sort());
      const meta = await client.query(`select key from "${schema}"."cb_meta" where key = 'installed_at'`);
      expect(meta.rows).toEqual([{ key: 'installed_at' }]);
    } finally {
      await client.end();
    }
  });

  test('a second start applies nothing', async () => {
    expect((await migrateSchema(dbs[0]!.orm, schema)).applied).toEqual([]);
  });

  test('each fork is a new EntityManager bound to the schema asked for', () => {
    const a = dbs[0]!.fork();
    const b = dbs[0]!.fork('other_app');
    expect(a).not.toBe(b);
    expect(a.schema).toBe(schema);
    expect(b.schema).toBe('other_app');
  });

  test('the readiness probe rejects when PostgreSQL does not answer', async () => {
    const unreachable = await openDatabase({ url: 'postgres://postgres@127.0.0.1:9/none', poolMax: 1, schema });
    try {
      await expect(unreachable.check(2000)).rejects.toThrow();
    } finally {
      await unreachable.close();
    }
  });
});
