import type { EntityManager } from '@mikro-orm/postgresql';
import { CollectionManager, RecordRepository } from '../data/index.js';
import { withLock, type LockAdapter } from '../lock/index.js';
import type { SyncSignal } from '../sync/index.js';
import type { Logger } from '../errors/index.js';

export interface AppDataOptions {
  readonly app: string;
  readonly schema: string;
  readonly ids: { next(): number };
  readonly aesKey: Buffer;
  readonly lock: LockAdapter;
  readonly sync: SyncSignal;
  /** A fresh EntityManager of the app's schema, for reloads triggered by other nodes. */
  readonly fork: () => EntityManager;
  readonly log: Pick<Logger, 'warn'>;
}

const CHANNEL = 'collections';

/**
 * One app's collections and records on this node. Metadata is loaded once and cached in memory;
 * a change commits under a cluster lock, then a sync signal tells the other nodes which collection to
 * reload (and a `resync` makes them reload everything), so a field added through one node is usable
 * through any other at once.
 */
export class AppData {
  readonly collections: CollectionManager;
  readonly records: RecordRepository;
  private unsubscribe: (() => Promise<void>) | null = null;

  private constructor(private readonly options: AppDataOptions) {
    const app = options.sync.forApp(options.app);
    this.collections = new CollectionManager({
      schema: options.schema,
      ids: options.ids,
      lock: (key, fn) => withLock(options.lock, `${options.app}:${key}`, () => fn(), { ttlMs: 30_000, waitMs: 30_000 }),
      onChange: async (name) => {
        await app.publish(CHANNEL, { name });
      },
    });
    this.records = new RecordRepository({ collections: this.collections, ids: options.ids, aesKey: options.aesKey });
  }

  static async open(options: AppDataOptions): Promise<AppData> {
    const data = new AppData(options);
    await data.collections.load(options.fork());
    const app = options.sync.forApp(options.app);
    data.unsubscribe = await app.subscribe<{ name?: unknown }>(CHANNEL, async (message) => {
      const name = message?.name;
      if (typeof name === 'string') await data.collections.refresh(options.fork(), name);
    });
    app.onResync(async () => {
      options.log.warn(`collections of app ${options.app}: signals were missed, reloading all metadata`);
      await data.collections.load(options.fork());
    });
    return data;
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }
}
