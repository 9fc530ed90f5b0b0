import type { MikroORM } from '@mikro-orm/postgresql';
import { quoteIdent, runSql } from '../sql/index.js';

export interface MigrationReport {
  readonly schema: string;
  readonly applied: readonly string[];
}

/**
 * Brings an app schema up to date. Nodes starting together serialise on a transaction-scoped
 * advisory lock per schema: the first migrates, the others wait, then find nothing pending.
 * (A session-level lock through a pool could be released on another connection.)
 */
export async function migrateSchema(orm: MikroORM, schema: string): Promise<MigrationReport> {
  const applied: string[] = [];
  // Created before, and outside, the locked transaction: the migrator prepares its tracking table on
  // a connection of its own, which would wait forever on a schema our open transaction created.
  await runSql(orm.em.fork(), `create schema if not exists ${quoteIdent(schema)}`).catch((err: { code?: string }) => {
    if (err.code !== '23505' && err.code !== '42P06') throw err; // created concurrently by another node
  });
  await orm.em.fork().transactional(async (em) => {
    await runSql(em, 'select pg_advisory_xact_lock(hashtext(?))', [`migrate:${schema}`]);
    const done = await orm.migrator.up({ schema, transaction: em.getTransactionContext() });
    applied.push(...done.map((m) => m.name));
  });
  return { schema, applied };
}
