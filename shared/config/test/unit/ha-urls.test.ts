import { StartupRefusal } from '../../../errors';
import { loadConfig } from '../../index';

function refusal(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/app');
  } catch (err) {
    if (err instanceof StartupRefusal) return [...err.problems];
    throw err;
  }
  throw new Error('expected the start to be refused');
}

const SENTINEL = 'redis-sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/2#cb-master';

describe('Redis through Sentinel', () => {
  test('every Redis URL variable accepts a redis-sentinel:// URL and hands it to its adapter', () => {
    const config = loadConfig({
      REDIS_URL: SENTINEL,
      CACHE_DEFAULT_STORE: 'redis',
      PUBSUB_ADAPTER: 'redis',
      QUEUE_ADAPTER: 'redis',
      LOCK_ADAPTER_DEFAULT: 'redis',
      WORKER_ID_ADAPTER: 'redis',
      WORKER_ID_REDIS_URL: 'redis-sentinel://s1,s2,s3/4#ids',
    });
    expect(config.redisUrl).toBe(SENTINEL);
    expect(config.adapters).toMatchObject({
      cache: { url: SENTINEL },
      sync: { url: SENTINEL },
      queue: { url: SENTINEL },
      lock: { url: SENTINEL },
      workerId: { url: 'redis-sentinel://s1,s2,s3/4#ids' },
    });
  });

  test.each([
    ['REDIS_URL', 'redis-sentinel://h1:26379,h2:26379/0', /^REDIS_URL: names no master/],
    ['CACHE_REDIS_URL', 'redis-sentinel://h1:26379,:26380/0#m', /^CACHE_REDIS_URL: has a bad Sentinel address ":26380"/],
    ['PUBSUB_ADAPTER_REDIS_URL', 'redis-sentinel://h1:70000#m', /^PUBSUB_ADAPTER_REDIS_URL: has a bad Sentinel port/],
    ['QUEUE_ADAPTER_REDIS_URL', 'redis-sentinel://h1/db#m', /^QUEUE_ADAPTER_REDIS_URL: has a bad database number "db"/],
    ['LOCK_ADAPTER_REDIS_URL', 'redis-sentinel:///0#m', /^LOCK_ADAPTER_REDIS_URL: names no Sentinel/],
    ['WORKER_ID_REDIS_URL', 'redis-sentinel://h1/0?tls=1#m', /^WORKER_ID_REDIS_URL: has an unknown parameter "tls"/],
    ['APP_SUPERVISOR_REDIS_URL', 'sentinel://h1#m', /^APP_SUPERVISOR_REDIS_URL: has scheme "sentinel"/],
    ['APP_COMMAND_REDIS_URL', 'redis-sentinel://h1,h2/0', /^APP_COMMAND_REDIS_URL: names no master/],
  ])('a bad Sentinel URL in %s refuses the start, naming the variable', (variable, value, message) => {
    const problems = refusal({ [variable]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test('the refusal never shows the password', () => {
    const problems = refusal({ REDIS_URL: 'redis-sentinel://:hunter2@h1:26379,h2:bad/0#m' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).not.toContain('hunter2');
  });
});

describe('a NATS cluster as TRANSPORTER', () => {
  test('a comma-separated list of nats:// URLs is accepted as it is', () => {
    const list = 'nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224';
    expect(loadConfig({ TRANSPORTER: list, INIT_ROOT_PASSWORD: 'a-long-root-password' }).transporter).toBe(list);
    expect(loadConfig({ TRANSPORTER: ' nats://a:4222 , nats://b:4222 ', INIT_ROOT_PASSWORD: 'a-long-root-password' }).transporter).toBe('nats://a:4222,nats://b:4222');
  });

  test.each([
    ['nats://a:4222,redis://b:6379', /^TRANSPORTER: item 2 has scheme "redis": only NATS accepts a list of servers$/],
    ['nats://a:4222,,nats://c:4222', /^TRANSPORTER: has an empty item 2/],
    ['nats://a:4222,b c', /^TRANSPORTER: item 2 is not a valid URL/],
  ])('refuses %s naming the item', (value, message) => {
    expect(refusal({ TRANSPORTER: value })).toEqual([expect.stringMatching(message)]);
  });
});
