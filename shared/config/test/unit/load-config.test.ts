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

const STRONG = 'a-long-root-password';

describe('configuration from the environment', () => {
  test('an empty environment gives the single-process defaults: embedded database, local broker', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.http.port).toBe(13000);
    expect(config.health.port).toBe(13001);
    expect(config.transporter).toBeNull();
    expect(config.workerMode.raw).toBe('');
    expect(config.db).toMatchObject({ kind: 'embedded', dataDir: '/srv/app/storage/db/postgres', database: 'clusterbase', schema: 'public' });
    expect(config.requestTimeoutMs).toBeGreaterThan(0);
    expect(config.nodeId).toMatch(/-\d+$/);
  });

  test('DB_* variables make an external database URL; DATABASE_URL wins over them', () => {
    const fromParts = loadConfig({ DB_HOST: 'db.internal', DB_PORT: '6543', DB_USER: 'app', DB_PASSWORD: 's3cr3t', DB_DATABASE: 'prod' });
    expect(fromParts.db).toMatchObject({ kind: 'external', url: 'postgres://app:s3cr3t@db.internal:6543/prod', database: 'prod' });
    const fromUrl = loadConfig({ DB_HOST: 'ignored', DATABASE_URL: 'postgres://u@h:5432/other' });
    expect(fromUrl.db).toMatchObject({ kind: 'external', database: 'other' });
  });

  test('the configuration is frozen all the way down', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  test('aliases are accepted and the main name wins', () => {
    expect(loadConfig({ BROKER_HEARTBEAT_INTERVAL: '2' }).heartbeatMs).toBe(2000);
    expect(loadConfig({ BROKER_HEARTBEAT_INTERVAL: '2', HEARTBEAT_INTERVAL: '3' }).heartbeatMs).toBe(3000);
  });

  test('durations are seconds and accept decimals', () => {
    expect(loadConfig({ REQUEST_TIMEOUT: '0.5', SHUTDOWN_DELAY: '2' })).toMatchObject({ requestTimeoutMs: 500, shutdown: { delayMs: 2000 } });
  });

  test('a transporter URL selects the network broker', () => {
    expect(loadConfig({ TRANSPORTER: 'nats://127.0.0.1:4222', INIT_ROOT_PASSWORD: STRONG }).transporter).toBe('nats://127.0.0.1:4222');
  });
});

describe('bad configuration refuses the start, one line per bad variable', () => {
  test('every bad variable is reported at once, each naming itself', () => {
    const problems = refusal({ APP_PORT: '70000', LOG_FORMAT: 'xml', WORKER_MODE: 'workflow', REQUEST_TIMEOUT: 'soon' });
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^APP_PORT: must be between 0 and 65535, got 70000$/),
        expect.stringMatching(/^LOG_FORMAT: must be one of text, json/),
        expect.stringMatching(/^WORKER_MODE: unknown item "workflow"/),
        expect.stringMatching(/^REQUEST_TIMEOUT: must be a number of seconds/),
      ]),
    );
  });

  test.each([
    [{ TRANSPORTER: 'kafka://x:9092' }, /^TRANSPORTER: has scheme "kafka"/],
    [{ NAMESPACE: 'a b' }, /^NAMESPACE: may contain only/],
    [{ HTTP_BODY_LIMIT: 'lots' }, /^HTTP_BODY_LIMIT: must be a size/],
    [{ DB_POOL_MAX: '0' }, /^DB_POOL_MAX: must be between 1 and 1000/],
    [{ HEALTH_PORT: '-1' }, /^HEALTH_PORT: must be between 0 and 65535/],
    [{ REDIS_URL: 'http://x' }, /^REDIS_URL: has scheme "http"/],
  ])('%o', (env, message) => {
    const problems = refusal(env as Record<string, string>);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test('a secret never appears in the refusal', () => {
    const problems = refusal({ DATABASE_URL: 'mysql://root:hunter2@db/x', REDIS_URL: 'memcache://:hunter3@r' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).not.toMatch(/hunter/);
  });
});

describe('cluster adapters', () => {
  test('the single-process default uses only in-process adapters', () => {
    expect(loadConfig({}).adapters).toMatchObject({
      cache: { type: 'memory' },
      sync: { type: 'local' },
      queue: { type: 'memory' },
      lock: { type: 'local' },
      workerId: { type: 'local' },
    });
  });

  test('every Redis adapter falls back to REDIS_URL, and its own variable wins', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://shared:6379',
      CACHE_DEFAULT_STORE: 'redis',
      PUBSUB_ADAPTER: 'redis',
      QUEUE_ADAPTER: 'redis',
      LOCK_ADAPTER_DEFAULT: 'redis',
      WORKER_ID_ADAPTER: 'redis',
      LOCK_ADAPTER_REDIS_URL: 'redis://locks:6379/2',
    });
    expect(config.adapters.cache.url).toBe('redis://shared:6379');
    expect(config.adapters.queue.url).toBe('redis://shared:6379');
    expect(config.adapters.lock.url).toBe('redis://locks:6379/2');
  });

  test('the names used in the issues are accepted as aliases; memory and local mean the same', () => {
    const config = loadConfig({ SYNC_ADAPTER: 'memory', LOCK_ADAPTER: 'redis', LOCK_REDIS_URL: 'redis://l:1', QUEUE_ADAPTER: 'local', CLUSTER_INSTANCES: '' });
    expect(config.adapters.sync.type).toBe('local');
    expect(config.adapters.lock).toEqual({ type: 'redis', url: 'redis://l:1' });
    expect(config.adapters.queue.type).toBe('memory');
  });

  test('an adapter without its server is refused naming the variable', () => {
    expect(refusal({ QUEUE_ADAPTER: 'redis', LOCK_ADAPTER_DEFAULT: 'redis', QUEUE_ADAPTER_RABBITMQ_URL: '' })).toEqual([
      'QUEUE_ADAPTER: "redis" needs QUEUE_ADAPTER_REDIS_URL or REDIS_URL',
      'LOCK_ADAPTER_DEFAULT: "redis" needs LOCK_ADAPTER_REDIS_URL or REDIS_URL',
    ]);
    expect(refusal({ QUEUE_ADAPTER: 'rabbitmq' })).toEqual(['QUEUE_ADAPTER: "rabbitmq" needs QUEUE_ADAPTER_RABBITMQ_URL']);
    expect(refusal({ PUBSUB_ADAPTER: 'transporter' })).toEqual(['PUBSUB_ADAPTER: "transporter" needs TRANSPORTER']);
  });

  test('multi-core mode is refused with in-process adapters or the embedded database', () => {
    const problems = refusal({ CLUSTER_MODE: '2', INIT_ROOT_PASSWORD: STRONG });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^CLUSTER_MODE: several processes need cluster adapters, but LOCK_ADAPTER_DEFAULT=local, WORKER_ID_ADAPTER=local, QUEUE_ADAPTER=memory, PUBSUB_ADAPTER=local/);
    expect(problems[1]).toMatch(/^CLUSTER_MODE: .* shared PostgreSQL/);
  });

  test('multi-core mode with cluster adapters is accepted', () => {
    const config = loadConfig({
      CLUSTER_MODE: 'max',
      INIT_ROOT_PASSWORD: STRONG,
      REDIS_URL: 'redis://r:6379',
      DB_HOST: 'db',
      PUBSUB_ADAPTER: 'redis',
      QUEUE_ADAPTER: 'redis',
      LOCK_ADAPTER_DEFAULT: 'redis',
      WORKER_ID_ADAPTER: 'redis',
    });
    expect(config.clusterMode).toBe('max');
    expect(loadConfig({ CLUSTER_MODE: '1' }).clusterMode).toBeNull();
  });
});

describe('secrets and the root user', () => {
  test('APP_AES_SECRET_KEY must be 64 hex characters; the refusal gives the length, never the value', () => {
    const short = refusal({ APP_AES_SECRET_KEY: 'deadbeef' });
    expect(short).toEqual(['APP_AES_SECRET_KEY: must be exactly 64 hexadecimal characters (a 32-byte AES-256 key), got 8 characters']);
    const nonHex = refusal({ APP_AES_SECRET_KEY: 'z'.repeat(64) });
    expect(nonHex[0]).toMatch(/got 64 characters with non-hex ones$/);
    expect(nonHex[0]).not.toContain('zzzz');
    expect(loadConfig({ APP_AES_SECRET_KEY: '41FA8A69031AFEE15CDF41F8D5940EE37F98494C5CA41E90738238479AB8EFDE' }).secrets.aesKeyHex).toBe('41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde');
  });

  test('APP_KEY shorter than 32 characters or a placeholder is refused; unset keys are generated later', () => {
    expect(refusal({ APP_KEY: 'short' })).toEqual(['APP_KEY: must be at least 32 characters of random data, got 5; generate one with: openssl rand -hex 32']);
    expect(refusal({ APP_KEY: 'change-me-to-a-long-random-secret', APP_AES_SECRET_KEY: '0'.repeat(64) })).toEqual([
      'APP_KEY: is a placeholder from a template; generate one with: openssl rand -hex 32',
      'APP_AES_SECRET_KEY: is one character (or a short pattern) repeated; generate one with: openssl rand -hex 32',
    ]);
    expect(loadConfig({}).secrets).toEqual({ appKey: null, aesKeyHex: null, newAesKeyHex: null });
  });

  test('the root user defaults are NocoBase’s, and using them is flagged', () => {
    expect(loadConfig({}).auth.root).toEqual({ email: 'admin@nocobase.com', username: 'nocobase', password: 'admin123', defaultsUsed: true });
    expect(loadConfig({ INIT_ROOT_PASSWORD: 's3cret-pass' }).auth.root.defaultsUsed).toBe(false);
  });

  test('outside a single local process the default root password and short ones refuse the start with one line', () => {
    expect(refusal({ TRANSPORTER: 'nats://127.0.0.1:4222' })).toEqual([
      'INIT_ROOT_PASSWORD: the default password "admin123" is refused with a TRANSPORTER (a cluster); set a password of at least 12 characters',
    ]);
    expect(refusal({ APP_ENV: 'production', INIT_ROOT_PASSWORD: 'short-pass' })).toEqual([
      'INIT_ROOT_PASSWORD: at least 12 characters are needed with APP_ENV=production (got 10)',
    ]);
    expect(refusal({ APP_MODE: 'supervisor', INIT_ROOT_PASSWORD: 'admin123' })[0]).toMatch(/^INIT_ROOT_PASSWORD: the default password "admin123" is refused with APP_MODE=supervisor/);
    expect(refusal({ CLUSTER_MODE: '2', DATABASE_URL: 'postgres://h/db', REDIS_URL: 'redis://r:6379', LOCK_ADAPTER_DEFAULT: 'redis', WORKER_ID_ADAPTER: 'redis', QUEUE_ADAPTER: 'redis', PUBSUB_ADAPTER: 'redis' })).toEqual([
      expect.stringMatching(/^INIT_ROOT_PASSWORD: .* with CLUSTER_MODE/),
    ]);
    // The templates in deploy/ once shipped one; copying it unchanged refuses the start too.
    expect(refusal({ TRANSPORTER: 'nats://127.0.0.1:4222', INIT_ROOT_PASSWORD: 'change-me-to-a-long-root-password' })).toEqual([
      'INIT_ROOT_PASSWORD: the value is a placeholder from a template, refused with a TRANSPORTER (a cluster); set a password of your own of at least 12 characters',
    ]);
    // The single local process keeps the documented default (with its warning at start).
    expect(loadConfig({}).auth.root.password).toBe('admin123');
    expect(loadConfig({ APP_ENV: 'production', INIT_ROOT_PASSWORD: STRONG }).auth.root.password).toBe(STRONG);
  });
});

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
