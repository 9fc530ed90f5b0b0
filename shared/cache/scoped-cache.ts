import { checkAppName, checkKey, checkTtl } from './names.js';
import { SingleFlight } from './single-flight.js';
import type { CacheSetOptions, CacheStore, KeyValueCache } from './types.js';

/** What every view of one store shares. */
interface Shared {
  readonly store: CacheStore;
  readonly prefix: string;
  readonly defaultTtlMs: number | undefined;
  readonly flights: SingleFlight;
}

/**
 * The KeyValueCache of one app over a store. Keys are `<prefix>:<app>:<key>`; values are JSON text.
 * Views made by forApp share the store, its connection and the single-flight table; only the root
 * (`owner`) closes the store.
 */
export class ScopedCache implements KeyValueCache {
  private readonly keyPrefix: string;

  private constructor(
    private readonly shared: Shared,
    readonly app: string,
    private readonly owner: boolean,
  ) {
    this.keyPrefix = `${shared.prefix}:${app}:`;
  }

  static create(store: CacheStore, options: { app?: string; prefix?: string; defaultTtlMs?: number } = {}): ScopedCache {
    const prefix = options.prefix ?? 'cb:cache';
    if (typeof prefix !== 'string' || prefix === '') throw new TypeError('The cache prefix must be a non-empty string');
    const defaultTtlMs = checkTtl(options.defaultTtlMs, 'defaultTtlMs');
    const shared: Shared = { store, prefix, defaultTtlMs: defaultTtlMs || undefined, flights: new SingleFlight() };
    return new ScopedCache(shared, checkAppName(options.app ?? 'main'), true);
  }

  get kind() {
    return this.shared.store.kind;
  }

  forApp(app: string): KeyValueCache {
    return new ScopedCache(this.shared, checkAppName(app), false);
  }

  connect(): Promise<void> {
    return this.shared.store.connect();
  }

  async close(): Promise<void> {
    if (this.owner) await this.shared.store.close();
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const json = await this.shared.store.get(this.fullKey(key));
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async set<T>(key: string, value: T, options?: CacheSetOptions): Promise<void> {
    await this.shared.store.set(this.fullKey(key), toJson(key, value), this.ttl(options));
  }

  async del(key: string): Promise<void> {
    await this.shared.store.del(this.fullKey(key));
  }

  async wrap<T>(key: string, fn: () => T | Promise<T>, options?: CacheSetOptions): Promise<T> {
    const fullKey = this.fullKey(key);
    const ttlMs = this.ttl(options);
    // The whole lookup-compute-store runs once per key: a caller arriving between another's miss and
    // its write joins that computation instead of starting a second one.
    const json = await this.shared.flights.run(fullKey, async () => {
      const hit = await this.shared.store.get(fullKey);
      if (hit !== undefined) return hit;
      const value = await fn();
      if (value === undefined) return undefined;
      const text = toJson(key, value);
      await this.shared.store.set(fullKey, text, ttlMs);
      return text;
    });
    // Each caller gets its own copy, as from get(): no caller can mutate another's value.
    return (json === undefined ? undefined : JSON.parse(json)) as T;
  }

  async clear(prefix = ''): Promise<void> {
    if (typeof prefix !== 'string') throw new TypeError('clear(prefix) takes a string');
    await this.shared.store.deletePrefix(this.keyPrefix + prefix);
  }

  private fullKey(key: string): string {
    return this.keyPrefix + checkKey(key);
  }

  private ttl(options: CacheSetOptions | undefined): number | undefined {
    const ttlMs = checkTtl(options?.ttlMs);
    if (ttlMs === undefined) return this.shared.defaultTtlMs;
    return ttlMs === 0 ? undefined : ttlMs;
  }
}

function toJson(key: string, value: unknown): string {
  if (value === undefined) throw new TypeError(`Cannot cache undefined under "${key}" (use del)`);
  return JSON.stringify(value);
}
