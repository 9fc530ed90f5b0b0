export { ClusterAdapters, type ClusterLogger } from './cluster-adapters.js';
export { moleculerCacherOptions } from '../cache/index.js';
export type { LockAdapter } from '../lock/index.js';
export type { MessageQueue, QueueStats } from '../queue/index.js';
export type { SyncSignal } from '../sync/index.js';
export type { BloomFilter, KeyValueCache } from '../cache/index.js';
export type { SnowflakeGenerator } from '../ids/index.js';
export type { WorkerIdAllocator } from '../worker-id/index.js';
export { withLock, type LockedWork, type WithLockOptions } from '../lock/index.js';
