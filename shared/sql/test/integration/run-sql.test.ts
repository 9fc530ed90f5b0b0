import { ensureDatabase, openDatabase, type Database } from '../../../db/index.js';
import { dropSchemas, TEST_DATABASE, testDatabaseUrl, uniqueSchema } from '../../../../test/support/database.js';
import { requireServices } from '../../../../test/support/services.js';
import { qualified, quoteIdent, runSql } from '../../index.js';

/**
 * runSql reaches into MikroORM 7.2 (the Kysely executor behind `getTransactionContext()` and
 * `getConnection().getClient()`, fed a RawNode query). These tests fail when an upgrade changes that.
 */
describe('runSql on PostgreSQL through MikroORM', () => {
  const schema = uniqueSchema('sql');
  const table = qualified(schema, 'notes');
  let db: Database;

  beforeAll(async () => {
    await requireServices('postgres');
    await ensureDatabase(testDatabaseUrl(), TEST_DATABASE);
    db = await openDatabase({ url: testDatabaseUrl(), poolMax: 4, schema: 'public' });
    await runSql(db.fork(), `create schema ${quoteIdent(schema)}`);
    await runSql(db.fork(), `create table ${table} ("id" int primary key, "body" text, "doc" jsonb)`);
  });

  afterAll(async () => {
    await db.close();
    await dropSchemas(schema);
  });

  it('finds the executor MikroORM keeps behind a connection, and behind a transaction only inside one', async () => {
    const em = db.fork();
    expect(em.getTransactionContext()).toBeUndefined();
    expect(typeof (em.getConnection().getClient() as unknown as { executeQuery?: unknown }).executeQuery).toBe('function');
    await em.transactional(async (tx) => {
      expect(typeof (tx.getTransactionContext() as unknown as { executeQuery?: unknown } | undefined)?.executeQuery).toBe('function');
    });
  });

  it('binds values as given, never as SQL text', async () => {
    const tricky = `it's "quoted" $1 ?; drop table x; --`;
    const { rows } = await runSql<{ a: string; b: null; c: number; d: unknown }>(db.fork(), 'select ?::text as a, ?::text as b, ?::int as c, ?::jsonb as d', [
      tricky,
      null,
      42,
      JSON.stringify({ k: [1, 'two'] }),
    ]);
    expect(rows).toEqual([{ a: tricky, b: null, c: 42, d: { k: [1, 'two'] } }]);
  });

  it('counts changed rows for insert, update and delete, and none for a select', async () => {
    const em = db.fork();
    expect((await runSql(em, `insert into ${table} ("id", "body") values (?, ?), (?, ?)`, [1, 'a', 2, 'b'])).affected).toBe(2);
    expect((await runSql(em, `update ${table} set "body" = ? where "id" = ?`, ['c', 1])).affected).toBe(1);
    expect((await runSql(em, `select * from ${table}`)).affected).toBe(0);
    expect((await runSql(em, `delete from ${table} where "id" in (?, ?)`, [1, 2])).affected).toBe(2);
  });

  it("runs inside the EntityManager's transaction: its writes are seen there, hidden outside, and rolled back with it", async () => {
    const outside = db.fork();
    await expect(
      db.fork().transactional(async (tx) => {
        await runSql(tx, `insert into ${table} ("id", "body") values (?, ?)`, [10, 'in tx']);
        expect((await runSql(tx, `select "body" from ${table} where "id" = ?`, [10])).rows).toEqual([{ body: 'in tx' }]);
        expect((await runSql(outside, `select "body" from ${table} where "id" = ?`, [10])).rows).toEqual([]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await runSql(outside, `select "body" from ${table} where "id" = ?`, [10])).rows).toEqual([]);
  });

  it("rejects with pg's own error (code, constraint) for the callers to map", async () => {
    const em = db.fork();
    await runSql(em, `insert into ${table} ("id") values (?)`, [20]);
    await expect(runSql(em, `insert into ${table} ("id") values (?)`, [20])).rejects.toMatchObject({ code: '23505', constraint: 'notes_pkey' });
  });

  it('refuses a statement whose placeholders and parameters do not match', async () => {
    await expect(runSql(db.fork(), 'select ?::int', [])).rejects.toThrow('runSql: 1 placeholders but 0 parameters');
  });
});
