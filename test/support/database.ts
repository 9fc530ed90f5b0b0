import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SERVICES } from './services';

/** A database on the machine's PostgreSQL shared by the tests; each test uses its own schema in it. */
export const TEST_DATABASE = 'clusterbase_test';

export function testDatabaseUrl(): string {
  const u = new URL(SERVICES.postgres.url);
  u.pathname = `/${TEST_DATABASE}`;
  return u.toString();
}

export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Drops schemas a test created (cleanup in afterAll). */
export async function dropSchemas(...schemas: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect().catch(() => null);
  try {
    for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
