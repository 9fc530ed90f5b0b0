export type {
  KeyValueCache,
  CacheSetOptions,
  CacheStore,
  CacheStoreKind,
  CacheOptions,
  MemoryCacheOptions,
  RedisCacheOptions,
  BloomFilter,
  BloomFilterKind,
  BloomParameters,
  BloomFilterOptions,
  MemoryBloomOptions,
  RedisBloomOptions,
} from './types.js';
export { resolveKeyValueCache } from './resolve-cache.js';
export { ScopedCache } from './scoped-cache.js';
export { MemoryCacheStore } from './memory-cache-store.js';
export { RedisCacheStore } from './redis-cache-store.js';
export { SingleFlight } from './single-flight.js';
export { moleculerCacherOptions, type MoleculerCacherSettings, type MoleculerCacherOptions } from './moleculer-cacher.js';
export { resolveBloomFilter } from './resolve-bloom-filter.js';
export { bloomParameters, bloomPositions } from './bloom-math.js';
export { MemoryBloomFilter } from './memory-bloom-filter.js';
export { RedisNativeBloomFilter, probeNativeBloom, type RedisCaller } from './redis-native-bloom-filter.js';
export { RedisBitmapBloomFilter } from './redis-bitmap-bloom-filter.js';
export { RedisBloomFilter } from './redis-bloom-filter.js';
