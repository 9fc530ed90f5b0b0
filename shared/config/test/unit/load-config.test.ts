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
    expect(loadConfig({ TRANSPORTER: 'nats://127.0.0.1:4222' }).transporter).toBe('nats://127.0.0.1:4222');
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
