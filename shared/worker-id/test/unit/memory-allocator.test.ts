import { MemoryLeaseStore, resolveWorkerIdAllocator } from '../../index.js';
import { workerIdAllocatorContract } from '../worker-id-allocator.contract.js';
import { workerIdRecoveryContract } from '../worker-id-recovery.contract.js';

workerIdAllocatorContract('memory', {
  async namespace() {
    const store = new MemoryLeaseStore();
    return {
      store,
      create: (options = {}) => resolveWorkerIdAllocator({ type: 'memory', store, ...options }),
      cleanup: async () => undefined,
    };
  },
});

workerIdRecoveryContract('memory', async () => {
  const store = new MemoryLeaseStore();
  return {
    create: (options = {}) => resolveWorkerIdAllocator({ type: 'memory', store, ...options }),
    wipe: async () => store.wipe(),
    cleanup: async () => undefined,
  };
});
