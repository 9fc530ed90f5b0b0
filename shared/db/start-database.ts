import type { DatabaseConfig } from '../config/index.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded-postgres.js';
import { ensureDatabase } from './ensure-database.js';
import { migrateSchema } from './migrate.js';
import { openDatabase } from './open-database.js';
import type { Database } from './types.js';
import type { Logger } from '../errors/index.js';

export interface DatabaseHandle {
  readonly database: Database;
  /** Closes the pool, then stops the embedded server if this node started one. */
  stop(): Promise<void>;
}

type Log = Pick<Logger, 'info' | 'warn' | 'debug'>;

function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Brings up the node's database: the embedded server when no external one is configured, the
 * database itself when missing, the pool, and the main app's schema migrated under a lock.
 */
export async function startDatabase(config: DatabaseConfig, log: Log): Promise<DatabaseHandle> {
  let embedded: EmbeddedServer | null = null;
  if (config.kind === 'embedded') {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.port, log });
  }
  try {
    const serverUrl = config.kind === 'external' ? config.url : embedded!.url;
    await ensureDatabase(serverUrl, config.database);
    const database = await openDatabase({ url: withDatabase(serverUrl, config.database), poolMax: config.poolMax, schema: config.schema });
    try {
      const report = await migrateSchema(database.orm, config.schema);
      if (report.applied.length > 0) log.info(`migrated schema "${report.schema}": ${report.applied.join(', ')}`);
    } catch (err) {
      await database.close();
      throw err;
    }
    return {
      database,
      async stop() {
        await database.close();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}
