import type { RedisOptions } from 'ioredis';

/** Per-write options. */
export interface CacheSetOptions {
  /**
   * Time to live in milliseconds. Omitted: the cache's `defaultTtlMs` (none by default).
   * 0: never expires, even when the cache has a default.
   */
  readonly ttlMs?: number;
}

/**
 * The typed key/value port. Values travel as JSON on every adapter (the memory one too), so what
 * works on a laptop works in a cluster: Dates come back as strings, `undefined` is never stored.
 * Every key lives under the view's app: `forApp('a').get('k')` never sees `forApp('b')`'s `k`.
 */
export interface KeyValueCache {
  /** Name of the store behind the view. */
  readonly kind: CacheStoreKind;
  /** The app this view's keys belong to. */
  readonly app: string;
  /** The value, or undefined on a miss or after its TTL. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Stores `value` (JSON-serialisable, not undefined), replacing any previous one. */
  set<T>(key: string, value: T, options?: CacheSetOptions): Promise<void>;
  del(key: string): Promise<void>;
  /**
   * The cached value, or on a miss the result of `fn`, stored and returned. Concurrent callers of the
   * same key on the same node share one lookup and one computation; callers on other nodes may
   * compute too (use a lock if that matters). A rejection of `fn` is passed to every waiting caller
   * and nothing is stored; an `undefined` result is returned but not stored.
   */
  wrap<T>(key: string, fn: () => T | Promise<T>, options?: CacheSetOptions): Promise<T>;
  /** Deletes this app's keys, or only those starting with `prefix`. */
  clear(prefix?: string): Promise<void>;
  /** A view on the same store and connection for another app. */
  forApp(app: string): KeyValueCache;
  /** Opens the store (idempotent). On a view: opens the shared store. */
  connect(): Promise<void>;
  /** Closes the store's connection. On a view from `forApp`: does nothing (the root owns the store). */
  close(): Promise<void>;
}

export type CacheStoreKind = 'memory' | 'redis';

/**
 * What a cache adapter implements: raw JSON text under full keys. Scoping, JSON, TTL defaults and
 * single-flight live once in the scoped view above every store.
 */
export interface CacheStore {
  readonly kind: CacheStoreKind;
  connect(): Promise<void>;
  close(): Promise<void>;
  get(fullKey: string): Promise<string | undefined>;
  /** `ttlMs` undefined: no expiry. */
  set(fullKey: string, json: string, ttlMs: number | undefined): Promise<void>;
  del(fullKey: string): Promise<void>;
  /** Deletes every key starting with `fullPrefix` (taken literally, no glob). */
  deletePrefix(fullPrefix: string): Promise<void>;
}

interface CommonCacheOptions {
  /** App of the root view. Default `main`. */
  readonly app?: string;
  /** First segment of every key: `<prefix>:<app>:<key>`. Default `cb:cache`. */
  readonly prefix?: string;
  /** TTL of writes that give none. Default: none. */
  readonly defaultTtlMs?: number;
}

export interface MemoryCacheOptions extends CommonCacheOptions {
  readonly type: 'memory' | 'local';
  /** Entries kept before the least recently used one is dropped. Default 10,000. */
  readonly maxEntries?: number;
}

export interface RedisCacheOptions extends CommonCacheOptions {
  readonly type: 'redis';
  /** `redis://…` or `rediss://…`. */
  readonly url: string;
  /** Extra ioredis options (timeouts, TLS); the URL wins for host, port, password, db. */
  readonly redisOptions?: RedisOptions;
  /** SCAN batch size used by clear(). Default 500. */
  readonly scanCount?: number;
}

export type CacheOptions = MemoryCacheOptions | RedisCacheOptions;

/** The Bloom filter port: no false negatives, false positives at about the configured rate. */
export interface BloomFilter {
  /** Which adapter answers; for the `redis` auto mode, known after connect(). */
  readonly kind: BloomFilterKind | 'redis-auto';
  add(item: string): Promise<void>;
  /** False: `item` was certainly never added. True: it probably was. */
  mightContain(item: string): Promise<boolean>;
  connect(): Promise<void>;
  close(): Promise<void>;
}

export type BloomFilterKind = 'memory' | 'redis-native' | 'redis-bitmap';

/** Bit count `m` and hash count `k` of a filter. */
export interface BloomParameters {
  readonly bits: number;
  readonly hashes: number;
}

interface CommonBloomOptions {
  /** Name of the filter, e.g. `token-blacklist`. */
  readonly name: string;
  /** Items the filter is sized for; more still work with a rising false-positive rate. */
  readonly expectedItems: number;
  /** Wanted false-positive rate at `expectedItems`, e.g. 0.001. */
  readonly falsePositiveRate: number;
  /** App the filter belongs to. Default `main`. */
  readonly app?: string;
  /** First key segment in Redis: `<prefix>:<app>:<name>:…`. Default `cb:bloom`. */
  readonly prefix?: string;
}

export interface MemoryBloomOptions extends CommonBloomOptions {
  readonly type: 'memory' | 'local';
}

export interface RedisBloomOptions extends CommonBloomOptions {
  /** `redis`: probe the server for BF.* at connect and pick native or bitmap. */
  readonly type: 'redis' | 'redis-native' | 'redis-bitmap';
  readonly url: string;
  readonly redisOptions?: RedisOptions;
}

export type BloomFilterOptions = MemoryBloomOptions | RedisBloomOptions;
