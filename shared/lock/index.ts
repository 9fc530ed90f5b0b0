export type {
  AcquireOptions,
  LockAdapter,
  LockAdapterConfig,
  LockHandle,
  LockInfo,
  MemoryLockOptions,
  RedisLockOptions,
  RetryOptions,
} from './types.js';
export { LockLostError, LockTimeoutError, StaleFenceError } from './errors.js';
export { MemoryLockAdapter } from './memory-lock-adapter.js';
export { RedisLockAdapter } from './redis-lock-adapter.js';
export { resolveLockAdapter } from './resolve-lock-adapter.js';
export { withLock, type LockedWork, type WithLockOptions } from './with-lock.js';
export { FenceGuard } from './fence-guard.js';
export { redisFencedSet, redisFencedGet } from './redis-fenced-set.js';
