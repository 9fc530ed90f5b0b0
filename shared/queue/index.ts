export type {
  MessageQueue,
  QueueAdapterType,
  BackoffOptions,
  PublishOptions,
  DeliveryContext,
  MessageHandler,
  SubscribeOptions,
  CloseOptions,
  Unsubscribe,
  ConsumerStatus,
  DeadLettersOptions,
  DeadLetter,
  QueueStats,
  QueueLogger,
  QueueCommonOptions,
  RedisQueueOptions,
  RabbitQueueOptions,
} from './types.js';
export { resolveQueue, type QueueOptions } from './resolve-queue.js';
export { MemoryQueue, type MemoryQueueOptions } from './memory-queue.js';
export { MemoryQueueStore } from './memory-store.js';
