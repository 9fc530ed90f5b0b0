import { Errors } from 'moleculer';
import { resolveWorkerIdAllocator, type WorkerIdOptions } from '../../index.js';

function configError(options: unknown): Errors.MoleculerError {
  try {
    resolveWorkerIdAllocator(options as WorkerIdOptions);
  } catch (error) {
    if (error instanceof Errors.MoleculerError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('resolveWorkerIdAllocator', () => {
  it('builds an in-process allocator for memory and its alias local', () => {
    for (const type of ['memory', 'local'] as const) {
      const allocator = resolveWorkerIdAllocator({ type });
      expect(allocator.type).toBe('memory');
      expect(allocator.inProcess).toBe(true);
      expect(allocator.leaseMs).toBe(30_000);
    }
  });

  it('builds a Redis allocator without connecting', async () => {
    const allocator = resolveWorkerIdAllocator({ type: 'redis', url: 'redis://127.0.0.1:1', leaseMs: 900 });
    expect(allocator.type).toBe('redis');
    expect(allocator.inProcess).toBe(false);
    expect(allocator.leaseMs).toBe(900);
    await allocator.close();
  });

  it('refuses an unknown adapter naming the accepted ones', () => {
    const error = configError({ type: 'etcd' });
    expect(error.type).toBe('CB_ERR_CONFIG_INVALID');
    expect(error.message).toBe('Unknown worker-ID adapter "etcd": expected memory, local or redis');
  });

  it('refuses a Redis adapter without a URL, naming the variables to set', () => {
    expect(configError({ type: 'redis' }).message).toContain('WORKER_ID_REDIS_URL or REDIS_URL');
    expect(configError({ type: 'redis', url: 'http://x' }).message).toContain('redis://');
  });

  it('refuses unusable intervals', () => {
    expect(configError({ type: 'memory', leaseMs: 10 }).message).toContain('leaseMs must be an integer ≥ 50');
    expect(configError({ type: 'memory', leaseMs: 300, renewEveryMs: 300 }).message).toContain('renewEveryMs');
    expect(configError({ type: 'memory', acquireWaitMs: -1 }).message).toContain('acquireWaitMs');
  });

  it('shares one store between memory allocators of a process unless given one', async () => {
    const a = resolveWorkerIdAllocator({ type: 'memory', leaseMs: 1000 });
    const b = resolveWorkerIdAllocator({ type: 'local', leaseMs: 1000 });
    try {
      expect(await a.acquire()).not.toBe(await b.acquire());
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
