import pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ensureDatabase, migrateSchema, openDatabase, type Database } from '../../../db/index';
import { dropSchemas, TEST_DATABASE, testDatabaseUrl, uniqueSchema } from '../../../../test/support/database';
import { requireServices } from '../../../../test/support/services';

/** One migrated app schema of its own per test file, and a plain pg client to look at it from outside. */
export interface TestApp {
  readonly schema: string;
  readonly db: Database;
  readonly client: pg.Client;
  em(): EntityManager;
  /** Counter IDs: unique within the file, which is all a test schema needs. */
  readonly ids: { next(): number };
  close(): Promise<void>;
}

export async function openTestApp(prefix: string): Promise<TestApp> {
  await requireServices('postgres');
  await ensureDatabase(testDatabaseUrl(), TEST_DATABASE);
  const schema = uniqueSchema(prefix);
  const db = await openDatabase({ url: testDatabaseUrl(), poolMax: 4, schema });
  await migrateSchema(db.orm, schema);
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  let n = 1000;
  return {
    schema,
    db,
    client,
    em: () => db.fork(schema),
    ids: { next: () => ++n },
    async close() {
      await client.end().catch(() => undefined);
      await db.close();
      await dropSchemas(schema);
    },
  };
}

/** Column name → PostgreSQL type as information_schema reports it (varchar with its length). */
export async function columnTypes(app: TestApp, table: string): Promise<Record<string, string>> {
  const { rows } = await app.client.query(
    `select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale
       from information_schema.columns where table_schema = $1 and table_name = $2`,
    [app.schema, table],
  );
  const out: Record<string, string> = {};
  for (const r of rows as { column_name: string; data_type: string; character_maximum_length: number | null; numeric_precision: number | null; numeric_scale: number | null }[]) {
    let type = r.data_type;
    if (type === 'character varying') type = `varchar(${r.character_maximum_length})`;
    if (type === 'numeric') type = `numeric(${r.numeric_precision},${r.numeric_scale})`;
    out[r.column_name] = type;
  }
  return out;
}
