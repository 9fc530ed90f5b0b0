export type {
  AcquireOutcome,
  LeaseLostEvent,
  LeaseStore,
  MemoryWorkerIdOptions,
  RedisWorkerIdOptions,
  WorkerIdAllocator,
  WorkerIdCommonOptions,
  WorkerIdOptions,
} from './types.js';
export { resolveWorkerIdAllocator, DEFAULT_LEASE_MS, DEFAULT_PREFIX } from './resolve-worker-id-allocator.js';
export { LeaseAllocator } from './lease-allocator.js';
export { MemoryLeaseStore } from './memory-lease-store.js';
export { RedisLeaseStore } from './redis-lease-store.js';
export { WorkerIdsExhaustedError, WorkerIdStoreError, WORKER_ID_COUNT } from './errors.js';
export { waitForLease } from './lease-wait.js';
