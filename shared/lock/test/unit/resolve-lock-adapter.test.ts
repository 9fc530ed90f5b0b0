import { MemoryLockAdapter, RedisLockAdapter, resolveLockAdapter } from '../../index.js';

describe('resolveLockAdapter', () => {
  it.each(['memory', 'local', { type: 'memory' as const }, { type: 'local' as const }])('builds the in-process adapter for %p', (config) => {
    expect(resolveLockAdapter(config)).toBeInstanceOf(MemoryLockAdapter);
  });

  it('builds an unconnected Redis adapter from a redis:// URL', async () => {
    const locks = resolveLockAdapter('redis://127.0.0.1:1');
    expect(locks).toBeInstanceOf(RedisLockAdapter);
    expect(locks.inProcess).toBe(false);
    await locks.close();
  });

  it('refuses an unknown adapter, naming it without credentials', () => {
    expect(() => resolveLockAdapter('zookeeper')).toThrow(expect.objectContaining({ type: 'CB_ERR_CONFIG_INVALID', message: expect.stringContaining('"zookeeper"') }));
    let message = '';
    try {
      resolveLockAdapter('etcd://user:secret@host:2379');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('etcd://host:2379');
    expect(message).not.toContain('secret');
  });

  it('refuses a Redis adapter without URL or client', () => {
    expect(() => resolveLockAdapter('redis')).toThrow(expect.objectContaining({ type: 'CB_ERR_CONFIG_INVALID' }));
  });

  it('refuses a key prefix with braces, which would break the hash tag', () => {
    expect(() => resolveLockAdapter({ type: 'redis', url: 'redis://127.0.0.1:1', prefix: 'a{b' })).toThrow(
      expect.objectContaining({ type: 'CB_ERR_CONFIG_INVALID' }),
    );
  });
});
