import type { CacheStore } from './types.js';

interface Entry {
  readonly json: string;
  /** Date.now() value after which the entry is gone; undefined: never. */
  readonly expiresAt: number | undefined;
}

export interface MemoryCacheStoreOptions {
  /** Entries kept before the least recently used one is dropped. Default 10,000. */
  readonly maxEntries?: number;
  /** Clock, replaceable in tests. */
  readonly now?: () => number;
}

/**
 * In-process store: a Map kept in least-recently-used order (a read moves the entry to the end, an
 * insert past `maxEntries` drops the first). Expired entries are removed when read or evicted.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryCacheStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError(`maxEntries must be an integer >= 1, got ${maxEntries}`);
    this.maxEntries = maxEntries;
    this.now = options.now ?? Date.now;
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear();
  }

  async get(fullKey: string): Promise<string | undefined> {
    const entry = this.entries.get(fullKey);
    if (!entry) return undefined;
    this.entries.delete(fullKey);
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.now()) return undefined;
    this.entries.set(fullKey, entry);
    return entry.json;
  }

  async set(fullKey: string, json: string, ttlMs: number | undefined): Promise<void> {
    this.entries.delete(fullKey);
    this.entries.set(fullKey, { json, expiresAt: ttlMs === undefined ? undefined : this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  async del(fullKey: string): Promise<void> {
    this.entries.delete(fullKey);
  }

  async deletePrefix(fullPrefix: string): Promise<void> {
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(fullPrefix)) this.entries.delete(key);
    }
  }

  /** Entries held, expired ones included until they are read or evicted. */
  get size(): number {
    return this.entries.size;
  }
}
