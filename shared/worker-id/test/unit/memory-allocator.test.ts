import { MemoryLeaseStore, resolveWorkerIdAllocator } from '../../index.js';
import { workerIdAllocatorContract } from '../worker-id-allocator.contract.js';

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
