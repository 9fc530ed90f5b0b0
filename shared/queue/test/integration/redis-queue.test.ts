import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { resolveQueue, type MessageQueue, type RedisQueueOptions } from '../../index.js';
import type { RedisQueue } from '../../redis-queue.js';
import { requireServices, SERVICES } from '../../../../test/support/services.js';
import { queueContract } from '../contract/queue-contract.js';
import { deferred, waitFor } from '../support/async.js';

const bullName = (channel: string) => channel.replaceAll(':', '~');

/** Short BullMQ intervals so stalled-job recovery takes a second or two, not a minute. */
export const FAST_REDIS: Omit<RedisQueueOptions, 'type' | 'url'> = { lockDurationMs: 1500, stalledIntervalMs: 300, drainDelayMs: 1000 };

queueContract('redis (BullMQ)', {
  beforeAll: () => requireServices('redis'),
  node: async (options) => {
    const q = resolveQueue({ type: 'redis', url: SERVICES.redis.url, ...FAST_REDIS, ...options });
    await q.connect();
    return q;
  },
  injectRaw: (queue: MessageQueue, channel: string, payload: string) => (queue as RedisQueue).injectRaw(channel, payload),
  severConsumers: async (queue: MessageQueue, channel: string) => (queue as RedisQueue).severConsumers(channel),
});

describe('redis queue adapter', () => {
  const prefix = `test-${randomUUID()}`;
  const channels: string[] = [];
  let redis: Redis;
  const open: MessageQueue[] = [];
  const node = async () => {
    const q = resolveQueue({ type: 'redis', url: SERVICES.redis.url, prefix, ...FAST_REDIS });
    await q.connect();
    open.push(q);
    return q;
  };
  const newChannel = () => {
    const c = `c-${randomUUID()}`;
    channels.push(c);
    return c;
  };

  beforeAll(async () => {
    await requireServices('redis');
    redis = new Redis(SERVICES.redis.url);
  });

  afterAll(async () => {
    try {
      // Workers first: a running worker writes its queue's meta and stalled-check keys again.
      await Promise.all(open.map((q) => q.close({ graceful: false })));
      const admin = resolveQueue({ type: 'redis', url: SERVICES.redis.url, prefix });
      for (const c of channels) await admin.deleteChannel(c);
      await admin.close();
      expect(await redis.keys(`${prefix}:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps its BullMQ keys under <prefix>:queue and deleteChannel obliterates them', async () => {
    const channel = newChannel();
    const q = await node();
    await q.publish(channel, { x: 1 });
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.startsWith(`${prefix}:queue:${channel}:`)).toBe(true);
    await q.deleteChannel(channel);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });

  it('keeps publishing and consuming after Redis closes every one of its connections', async () => {
    const ch = newChannel();
    const q = await node();
    const got: unknown[] = [];
    await q.subscribe(ch, (body) => {
      got.push(body);
    });
    await q.publish(ch, { n: 1 });
    await waitFor('the first message', () => got.length === 1);
    const list = (await redis.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(`name=${prefix}:queue`))
      .map((line) => /\bid=(\d+)/.exec(line)?.[1] as string);
    expect(ids.length).toBeGreaterThanOrEqual(3); // publisher, worker, the worker's blocking connection
    for (const id of ids) await redis.client('KILL', 'ID', id);
    await q.publish(ch, { n: 2 });
    await waitFor('a message after the reconnect', () => got.length === 2);
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('redelivers the job of a worker that stopped renewing its lock, through the stalled check', async () => {
    const ch = newChannel();
    const q = await node();
    const id = await q.publish(ch, { n: 1 });
    // A raw BullMQ worker that takes the job and dies without a trace: closed by force, lock left to expire.
    const took = deferred();
    const zombieConnection = new Redis(SERVICES.redis.url, { maxRetriesPerRequest: null });
    const zombie = new Worker(
      bullName(ch),
      () => {
        took.resolve();
        return new Promise(() => undefined);
      },
      { connection: zombieConnection, prefix: `${prefix}:queue`, lockDuration: 1500, skipStalledCheck: true },
    );
    await took.promise;
    await zombie.close(true);
    zombieConnection.disconnect();
    const again = deferred<{ id: string; attempt: number }>();
    await q.subscribe(ch, (_b, ctx) => again.resolve({ id: ctx.id, attempt: ctx.attempt }));
    expect(await again.promise).toEqual({ id, attempt: 1 });
    await waitFor('ack', async () => (await q.stats(ch)).inFlight === 0);
  });
});
