import { isRedisUrl } from '../redis/index.js';
import type { MessageQueue, RabbitQueueOptions, RedisQueueOptions } from './types.js';
import { MemoryQueue, type MemoryQueueOptions } from './memory-queue.js';
import { queueConfig } from './queue-errors.js';

export type QueueOptions = MemoryQueueOptions | RedisQueueOptions | RabbitQueueOptions;

/** Loads an adapter whose client library is optional, with a fix-it message when it is missing. */
function load<T>(file: string, packages: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand so bullmq and amqplib stay optional; import() would make resolveQueue async
    return require(file) as T;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'MODULE_NOT_FOUND' && !String((err as Error).message).includes(file.slice(2))) {
      throw queueConfig(`This queue adapter needs ${packages}: npm install ${packages}`);
    }
    throw err;
  }
}

/**
 * The queue adapter for a configuration: `{ type: 'memory' | 'local' | 'redis' | 'rabbitmq', url, prefix, … }`,
 * or a bare name (`memory`, `local`) or URL (`redis://…`, `amqp://…`). Returns it unconnected: the
 * caller runs connect() at start and close() at stop. Anything else is CB_ERR_CONFIG_INVALID.
 */
export function resolveQueue(config: QueueOptions | string): MessageQueue {
  const options = typeof config === 'string' ? fromString(config) : config;
  switch (options?.type) {
    case 'memory':
    case 'local':
      return new MemoryQueue(options);
    case 'redis': {
      const { RedisQueue } = load<typeof import('./redis-queue.js')>('./redis-queue.js', 'bullmq@6 ioredis@5');
      return new RedisQueue(options);
    }
    case 'rabbitmq': {
      const { RabbitQueue } = load<typeof import('./rabbitmq-queue.js')>('./rabbitmq-queue.js', 'amqplib@0.10');
      return new RabbitQueue(options);
    }
    default:
      throw queueConfig(`Unknown queue adapter ${JSON.stringify((options as { type?: unknown } | undefined)?.type)}: use memory, redis or rabbitmq (QUEUE_ADAPTER)`);
  }
}

function fromString(value: string): QueueOptions {
  if (value === 'memory' || value === 'local') return { type: value };
  if (isRedisUrl(value)) return { type: 'redis', url: value };
  if (/^amqps?:\/\//.test(value)) return { type: 'rabbitmq', url: value };
  throw queueConfig(`Unknown queue adapter ${JSON.stringify(value.replace(/\/\/[^@]*@/, '//'))}: use memory, a redis:// URL or an amqp:// URL`);
}
