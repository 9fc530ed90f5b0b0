import { moleculerCacherOptions } from '../../index.js';

describe('moleculerCacherOptions', () => {
  it('gives Moleculer’s Memory cacher with prefix and TTL in seconds', () => {
    expect(moleculerCacherOptions({ type: 'memory', ttlSeconds: 30 })).toEqual({ type: 'Memory', options: { prefix: 'cb-action', ttl: 30 } });
    expect(moleculerCacherOptions({ type: 'local', prefix: 'x' })).toEqual({ type: 'Memory', options: { prefix: 'x' } });
  });

  it('gives the MemoryLRU cacher when memory is bounded', () => {
    expect(moleculerCacherOptions({ type: 'memory', maxEntries: 500 })).toEqual({ type: 'MemoryLRU', options: { prefix: 'cb-action', max: 500 } });
  });

  it('gives the Redis cacher with the URL as its redis option', () => {
    expect(moleculerCacherOptions({ type: 'redis', url: 'redis://r:6379/2', prefix: 'app1', ttlSeconds: 60 })).toEqual({
      type: 'Redis',
      options: { prefix: 'app1', ttl: 60, redis: 'redis://r:6379/2' },
    });
  });

  it('refuses an unknown type, a missing Redis URL and a bad TTL', () => {
    expect(() => moleculerCacherOptions({ type: 'memcached' } as never)).toThrow(/Unknown cacher type "memcached"/);
    expect(() => moleculerCacherOptions({ type: 'redis' })).toThrow(/redis:\/\//);
    expect(() => moleculerCacherOptions({ type: 'memory', ttlSeconds: 0 })).toThrow(/ttlSeconds/);
  });
});
