import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

/** The database of one node: the ORM, a per-call EntityManager and a readiness probe. */
export interface Database {
  readonly orm: MikroORM;
  /** Where the node connects (no password), for logs and health output. */
  readonly describe: string;
  /** A fresh EntityManager for one action call, bound to an app's schema. Never share it. */
  fork(schema?: string): EntityManager;
  /**
   * Opens another database on the same server with the same settings (created when missing): a
   * sub-application kept in a database of its own.
   */
  openSibling(database: string): Promise<Database>;
  /** Runs `select 1` with a time limit; rejects when PostgreSQL is unreachable. */
  check(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
