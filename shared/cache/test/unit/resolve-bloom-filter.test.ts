import { resolveBloomFilter } from '../../index.js';

describe('resolveBloomFilter', () => {
  const size = { name: 'token-blacklist', expectedItems: 1000, falsePositiveRate: 0.01 };

  it('builds the in-process filter for memory and local', () => {
    expect(resolveBloomFilter({ type: 'memory', ...size }).kind).toBe('memory');
    expect(resolveBloomFilter({ type: 'local', ...size }).kind).toBe('memory');
  });

  it('leaves the redis choice to the probe until connect, or takes a forced one', () => {
    const url = 'redis://127.0.0.1:1';
    expect(resolveBloomFilter({ type: 'redis', url, ...size }).kind).toBe('redis-auto');
    expect(resolveBloomFilter({ type: 'redis-native', url, ...size }).kind).toBe('redis-native');
    expect(resolveBloomFilter({ type: 'redis-bitmap', url, ...size }).kind).toBe('redis-bitmap');
  });

  it('refuses an unknown type, a bad name and an impossible size at construction', () => {
    expect(() => resolveBloomFilter({ type: 'cuckoo', ...size } as never)).toThrow(/Unknown Bloom filter type "cuckoo"/);
    expect(() => resolveBloomFilter({ type: 'memory', ...size, name: 'a:b' })).toThrow(/name/);
    expect(() => resolveBloomFilter({ type: 'memory', ...size, falsePositiveRate: 2 })).toThrow(/falsePositiveRate/);
  });

  it('refuses to use a Redis filter before connect', async () => {
    const filter = resolveBloomFilter({ type: 'redis', url: 'redis://127.0.0.1:1', ...size });
    expect(() => filter.add('x')).toThrow(/not connected/);
  });
});
