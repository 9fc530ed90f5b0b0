import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { runSql } from '../sql/index.js';
import type { Database } from './types.js';
import { ensureDatabase } from './ensure-database.js';
import { migrationsList } from './migrations/index.js';
import { freeDeadConnections } from './free-dead-connections.js';

export interface OpenOptions {
  /** postgres:// URL of the server and database to use. */
  readonly url: string;
  readonly poolMax: number;
  /** Schema of the main app; forks default to it. */
  readonly schema: string;
}

function withoutPassword(url: string): string {
  const u = new URL(url);
  u.password = '';
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

/** Opens the ORM (no entity metadata yet: later issues register entities with `schema: '*'`). */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: opts.url,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: { migrationsList, tableName: 'cb_migrations', transactional: true, allOrNothing: true, silent: true, snapshot: false },
    pool: { min: 0, max: opts.poolMax },
    schema: opts.schema,
    debug: false,
  });
  freeDeadConnections(await orm.em.getConnection().getNativeClient());
  return {
    orm,
    describe: withoutPassword(opts.url),
    fork: (schema = opts.schema) => orm.em.fork({ schema }),
    async openSibling(database) {
      await ensureDatabase(opts.url, database);
      const url = new URL(opts.url);
      url.pathname = `/${database}`;
      return openDatabase({ ...opts, url: url.toString() });
    },
    async check(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([runSql(orm.em.fork(), 'select 1'), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => orm.close(true),
  };
}
