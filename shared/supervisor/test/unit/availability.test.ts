import { isAvailable } from '../../availability';

const env = (lastHeartbeat: number) => ({ name: 'env_a', version: '1', url: 'http://a', proxyUrl: null, lastHeartbeat, heartbeatMs: 1000 });

describe('environment availability', () => {
  test('one late heartbeat does not flap it: available until interval + grace have passed', () => {
    const now = 100_000;
    expect(isAvailable(env(now - 1500), 1000, now)).toBe(true);
    expect(isAvailable(env(now - 2000), 1000, now)).toBe(true);
    expect(isAvailable(env(now - 2001), 1000, now)).toBe(false);
  });
});
