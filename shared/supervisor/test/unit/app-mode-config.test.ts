import { StartupRefusal } from '../../../errors';
import { loadConfig } from '../../../config';

function refusal(env: Record<string, string>): string[] {
  try {
    // A strong root password: APP_MODE=supervisor/worker refuses the default (tested in load-config).
    loadConfig({ INIT_ROOT_PASSWORD: 'a-long-root-password', ...env }, '/srv/app');
  } catch (err) {
    if (err instanceof StartupRefusal) return [...err.problems];
    throw err;
  }
  throw new Error('expected the start to be refused');
}

const worker = {
  APP_MODE: 'worker',
  INIT_ROOT_PASSWORD: 'a-long-root-password',
  APP_DISCOVERY_ADAPTER: 'remote',
  APP_PROCESS_ADAPTER: 'local',
  APP_COMMAND_ADAPTER: 'redis',
  REDIS_URL: 'redis://127.0.0.1:6379',
  ENVIRONMENT_NAME: 'env_a',
  ENVIRONMENT_URL: 'http://localhost:15000/',
};

describe('APP_MODE and its adapters', () => {
  test('standalone by default, with the 2-minute environment heartbeat and a grace of two intervals', () => {
    const { apps } = loadConfig({}, '/srv/app');
    expect(apps).toMatchObject({ mode: 'standalone', discovery: 'local', process: 'local', redisUrl: null, environment: null, heartbeatMs: 120_000, graceMs: 240_000 });
    expect(apps.command).toMatchObject({ type: 'local', url: null });
  });

  test('a worker takes its environment, and every Redis URL falls back to REDIS_URL', () => {
    const { apps } = loadConfig({ ...worker, ENVIRONMENT_PROXY_URL: 'http://worker_a', ENVIRONMENT_HEARTBEAT_INTERVAL: '0.5', ENVIRONMENT_HEARTBEAT_GRACE: '1' }, '/srv/app');
    expect(apps.environment).toEqual({ name: 'env_a', url: 'http://localhost:15000', proxyUrl: 'http://worker_a' });
    expect(apps.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(apps.command.url).toBe('redis://127.0.0.1:6379');
    expect(apps.heartbeatMs).toBe(500);
    expect(apps.graceMs).toBe(1000);
  });

  test('APP_SUPERVISOR_REDIS_URL and APP_COMMAND_REDIS_URL win over REDIS_URL', () => {
    const { apps } = loadConfig({ ...worker, APP_SUPERVISOR_REDIS_URL: 'redis://cache:6379/1', APP_COMMAND_REDIS_URL: 'redis://cmd:6379/2' }, '/srv/app');
    expect(apps.redisUrl).toBe('redis://cache:6379/1');
    expect(apps.command.url).toBe('redis://cmd:6379/2');
  });

  test('a worker without ENVIRONMENT_NAME/ENVIRONMENT_URL is refused, naming them', () => {
    const problems = refusal({ ...worker, ENVIRONMENT_NAME: '', ENVIRONMENT_URL: '' });
    expect(problems.some((p) => p.startsWith('ENVIRONMENT_NAME:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('ENVIRONMENT_URL:'))).toBe(true);
  });

  test('remote environments without Redis, or with the in-process command adapter, are refused', () => {
    expect(refusal({ ...worker, REDIS_URL: '' }).map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['APP_SUPERVISOR_REDIS_URL', 'APP_COMMAND_ADAPTER']));
    expect(refusal({ APP_MODE: 'supervisor', APP_DISCOVERY_ADAPTER: 'remote', APP_PROCESS_ADAPTER: 'remote', REDIS_URL: 'redis://r:6379' })).toEqual([
      expect.stringMatching(/^APP_COMMAND_ADAPTER: .*"redis"/),
    ]);
  });

  test('remote adapters on a standalone node, a worker running apps remotely and environments outside workers are refused', () => {
    expect(refusal({ APP_PROCESS_ADAPTER: 'remote' })[0]).toMatch(/^APP_MODE:/);
    expect(refusal({ ...worker, APP_PROCESS_ADAPTER: 'remote' })).toEqual([expect.stringMatching(/^APP_PROCESS_ADAPTER:/)]);
    expect(refusal({ APP_MODE: 'supervisor', ENVIRONMENT_NAME: 'x' })).toEqual([expect.stringMatching(/^ENVIRONMENT_NAME: only APP_MODE=worker/)]);
    expect(refusal({ APP_MODE: 'supervisor', APP_PROCESS_ADAPTER: 'remote', APP_COMMAND_ADAPTER: 'redis', REDIS_URL: 'redis://r:6379' })).toEqual([
      expect.stringMatching(/^APP_DISCOVERY_ADAPTER:/),
    ]);
  });

  test('unknown values are refused naming the variable', () => {
    expect(refusal({ APP_MODE: 'boss' })).toEqual([expect.stringMatching(/^APP_MODE: must be one of standalone, supervisor, worker/)]);
    expect(refusal({ APP_COMMAND_ADAPTER: 'kafka' })).toEqual([expect.stringMatching(/^APP_COMMAND_ADAPTER:/)]);
  });
});
