import { MemoryQueue, resolveQueue } from '../../index.js';

describe('resolveQueue', () => {
  it('builds the in-process adapter for memory and local', async () => {
    for (const type of ['memory', 'local'] as const) {
      const q = resolveQueue({ type, prefix: 'app1' });
      expect(q).toBeInstanceOf(MemoryQueue);
      expect(q.type).toBe('memory');
      await q.close();
    }
    expect(resolveQueue('memory').type).toBe('memory');
  });

  it('builds the redis and rabbitmq adapters from options or a URL, without connecting', async () => {
    const redis = resolveQueue({ type: 'redis', url: 'redis://127.0.0.1:1' });
    const rabbit = resolveQueue('amqp://guest:guest@127.0.0.1:1');
    expect(redis.type).toBe('redis');
    expect(rabbit.type).toBe('rabbitmq');
    expect(resolveQueue('rediss://example.invalid:6380').type).toBe('redis');
    await Promise.all([redis.close(), rabbit.close()]);
  });

  it('refuses an unknown adapter with a configuration error naming it', () => {
    expect(() => resolveQueue({ type: 'kafka' } as never)).toThrow(expect.objectContaining({ type: 'CB_ERR_CONFIG_INVALID', message: expect.stringContaining('"kafka"') }));
    expect(() => resolveQueue('nats://x')).toThrow(expect.objectContaining({ type: 'CB_ERR_CONFIG_INVALID' }));
  });

  it('refuses a network adapter without a URL of its scheme', () => {
    expect(() => resolveQueue({ type: 'redis', url: '' })).toThrow(expect.objectContaining({ type: 'CB_ERR_CONFIG_INVALID', message: expect.stringContaining('REDIS_URL') }));
    expect(() => resolveQueue({ type: 'rabbitmq', url: 'redis://x' })).toThrow(expect.objectContaining({ type: 'CB_ERR_CONFIG_INVALID' }));
  });

  it('refuses a bad prefix or option value at construction', () => {
    expect(() => resolveQueue({ type: 'memory', prefix: 'a b' })).toThrow(expect.objectContaining({ type: 'CB_ERR_CONFIG_INVALID' }));
    expect(() => resolveQueue({ type: 'memory', defaultAttempts: 0 })).toThrow(expect.objectContaining({ type: 'CB_ERR_CONFIG_INVALID' }));
    expect(() => resolveQueue({ type: 'redis', url: 'redis://x', lockDurationMs: -1 })).toThrow(expect.objectContaining({ type: 'CB_ERR_CONFIG_INVALID' }));
  });

  it('fails connect with a retryable unavailable error when the broker is not there', async () => {
    const redis = resolveQueue({ type: 'redis', url: 'redis://127.0.0.1:1' });
    const rabbit = resolveQueue({ type: 'rabbitmq', url: 'amqp://127.0.0.1:1' });
    await expect(redis.connect()).rejects.toMatchObject({ type: 'CB_ERR_QUEUE_UNAVAILABLE', retryable: true });
    await expect(rabbit.connect()).rejects.toMatchObject({ type: 'CB_ERR_QUEUE_UNAVAILABLE', retryable: true });
    await Promise.all([redis.close(), rabbit.close()]);
  });
});
