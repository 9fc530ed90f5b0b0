import { resolveKeyValueCache, ScopedCache, MemoryCacheStore, type CacheStore } from '../../index.js';

describe('resolveKeyValueCache', () => {
  it('builds the memory adapter for memory and local', () => {
    expect(resolveKeyValueCache({ type: 'memory' }).kind).toBe('memory');
    expect(resolveKeyValueCache({ type: 'local' }).kind).toBe('memory');
  });

  it('builds the redis adapter without connecting', () => {
    const cache = resolveKeyValueCache({ type: 'redis', url: 'redis://127.0.0.1:1' });
    expect(cache.kind).toBe('redis');
    expect(cache.app).toBe('main');
  });

  it('refuses an unknown type naming it and the accepted ones', () => {
    expect(() => resolveKeyValueCache({ type: 'memcached' } as never)).toThrow(/Unknown cache store type "memcached" \(expected memory, local or redis\)/);
  });

  it('refuses redis without a redis URL', () => {
    expect(() => resolveKeyValueCache({ type: 'redis', url: 'http://x' })).toThrow(/redis:\/\//);
  });

  it('refuses a bad root app name and a negative default TTL', () => {
    expect(() => resolveKeyValueCache({ type: 'memory', app: 'x:y' })).toThrow(/app name/);
    expect(() => resolveKeyValueCache({ type: 'memory', defaultTtlMs: -1 })).toThrow(/defaultTtlMs/);
  });
});

describe('ScopedCache', () => {
  function recordingStore(): CacheStore & { sets: [string, string, number | undefined][] } {
    const inner = new MemoryCacheStore();
    const sets: [string, string, number | undefined][] = [];
    return {
      kind: 'memory',
      sets,
      connect: () => inner.connect(),
      close: () => inner.close(),
      get: (k) => inner.get(k),
      set: async (k, v, ttl) => {
        sets.push([k, v, ttl]);
        await inner.set(k, v, ttl);
      },
      del: (k) => inner.del(k),
      deletePrefix: (p) => inner.deletePrefix(p),
    };
  }

  it('lays keys out as <prefix>:<app>:<key> and stores JSON text', async () => {
    const store = recordingStore();
    const cache = ScopedCache.create(store, { prefix: 'p', app: 'shop' });
    await cache.set('user:1', { a: 1 });
    await cache.forApp('crm').set('user:1', 'x');
    expect(store.sets.map(([k, v]) => [k, v])).toEqual([
      ['p:shop:user:1', '{"a":1}'],
      ['p:crm:user:1', '"x"'],
    ]);
  });

  it('applies the default TTL, a per-write TTL over it, and 0 as "never expires"', async () => {
    const store = recordingStore();
    const cache = ScopedCache.create(store, { defaultTtlMs: 1000 });
    await cache.set('a', 1);
    await cache.set('b', 1, { ttlMs: 5 });
    await cache.set('c', 1, { ttlMs: 0 });
    await cache.wrap('d', () => 1);
    expect(store.sets.map(([, , ttl]) => ttl)).toEqual([1000, 5, undefined, 1000]);
  });

  it('returns but does not store an undefined wrap result', async () => {
    const store = recordingStore();
    const cache = ScopedCache.create(store);
    expect(await cache.wrap('u', () => undefined)).toBeUndefined();
    expect(store.sets).toEqual([]);
  });

  it('lets only the root close the shared store', async () => {
    const store = recordingStore();
    const closes = jest.spyOn(store, 'close');
    const root = ScopedCache.create(store);
    await root.forApp('x').close();
    expect(closes).not.toHaveBeenCalled();
    await root.close();
    expect(closes).toHaveBeenCalledTimes(1);
  });
});
