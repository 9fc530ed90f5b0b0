import { MemoryQueue, MemoryQueueStore, type MessageQueue } from '../../index.js';
import { queueContract } from '../contract/queue-contract.js';

const store = new MemoryQueueStore();

queueContract('memory', {
  node: async (options) => {
    const q = new MemoryQueue({ type: 'memory', store, ...options });
    await q.connect();
    return q;
  },
  injectRaw: async (queue: MessageQueue, channel: string, payload: string) => (queue as MemoryQueue).injectRaw(channel, payload),
  severConsumers: async (queue: MessageQueue, channel: string) => (queue as MemoryQueue).severConsumers(channel),
});

afterAll(() => store.clearTimers());
