import pg from 'pg';
import { quoteIdent } from '../sql/index.js';

/** Creates `database` when it does not exist yet, connecting to the server's `postgres` database. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 10000 });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) {
      // Identifiers cannot be bound; the name was validated as [A-Za-z0-9_.-] by the config.
      await client.query(`create database ${quoteIdent(database)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // another node created it first
      });
    }
  } finally {
    await client.end();
  }
}
