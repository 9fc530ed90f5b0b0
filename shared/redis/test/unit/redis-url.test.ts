import { parseRedisUrl, redactRedisUrl, redisServerLabel, requireRedisUrl } from '../../index';

describe('Redis URLs', () => {
  test('a redis:// or rediss:// URL names one server', () => {
    expect(parseRedisUrl('redis://:pw@127.0.0.1:6380/2')).toEqual({ kind: 'standalone', url: 'redis://:pw@127.0.0.1:6380/2' });
    expect(parseRedisUrl('rediss://cache.example:6379').kind).toBe('standalone');
  });

  test('a redis-sentinel:// URL lists the Sentinels, the database and the master name', () => {
    expect(parseRedisUrl('redis-sentinel://:s3cret@h1:26379,h2:26380,h3/3#mymaster')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 'h1', port: 26379 },
        { host: 'h2', port: 26380 },
        { host: 'h3', port: 26379 },
      ],
      masterName: 'mymaster',
      db: 3,
      password: 's3cret',
    });
  });

  test('Lettuce’s password@ form, user:password@ and a Sentinel password are understood', () => {
    expect(parseRedisUrl('redis-sentinel://pw@h1:26379#m')).toMatchObject({ password: 'pw', db: 0 });
    expect(parseRedisUrl('redis-sentinel://app:p%40ss@h1#m')).toMatchObject({ username: 'app', password: 'p@ss' });
    expect(parseRedisUrl('redis-sentinel://h1/0?sentinelPassword=x#m')).toMatchObject({ sentinelPassword: 'x' });
  });

  test.each([
    ['redis-sentinel://h1:26379,h2:26379/0', /names no master/],
    ['redis-sentinel:///0#m', /names no Sentinel/],
    ['redis-sentinel://h1:99999#m', /bad Sentinel port/],
    ['redis-sentinel://h1:abc#m', /bad Sentinel address/],
    ['redis-sentinel://h1/x#m', /bad database number/],
    ['redis-sentinel://h1/0?foo=1#m', /unknown parameter "foo"/],
    ['http://h1:6379', /scheme "http"/],
    ['not a url', /not a valid URL/],
  ])('refuses %s with a reason', (raw, reason) => {
    expect(() => parseRedisUrl(raw)).toThrow(reason);
  });

  test('messages and labels never show a password', () => {
    expect(redactRedisUrl('redis-sentinel://:pw@h1,h2/0?sentinelPassword=sp#m')).toBe('redis-sentinel://h1,h2/0?sentinelPassword=***#m');
    expect(redisServerLabel('redis-sentinel://:pw@h1,h2/1#m')).toBe('m@sentinel/1');
    expect(redisServerLabel('redis://:pw@h:6380/0')).toBe('h:6380/0');
    expect(() => requireRedisUrl('redis-sentinel://:pw@h1/0', 'The Redis cache', 'CACHE_REDIS_URL')).toThrow(
      'The Redis cache needs a redis://, rediss:// or redis-sentinel:// URL (CACHE_REDIS_URL): redis-sentinel://h1/0 names no master (add #<masterName>, the name given to `sentinel monitor`)',
    );
  });
});
