/**
 * Message queue publish+process per second, in the same run on the same servers:
 * - our redis adapter against raw BullMQ (Queue.add per message, a Worker with the same concurrency and
 *   the same job options: 3 attempts with backoff, completed jobs kept for an hour, failed ones kept);
 * - for information, our rabbitmq adapter against raw amqplib (confirm channel, one publish per message
 *   awaited on its confirm, persistent, a quorum queue, manual ack, prefetch = concurrency).
 * Each measurement: a warm-up batch, then COUNT messages published with PUBLISHERS publishes in flight
 * while a subscriber with CONCURRENCY handlers consumes; the clock stops when the last one is processed.
 * Run: `npx tsx test/bench/queue.bench.ts` (needs Redis and RabbitMQ; URLs as in test/support/services.ts).
 */
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { resolveQueue } from '../../shared/queue/index.js';
import { runStandalone } from './support/standalone';

export interface BenchResult {
  name: string;
  ours: number;
  reference: number;
  unit: string;
}

const COUNT = 5_000;
const WARMUP = 500;
const CONCURRENCY = 50;
const PUBLISHERS = 50;
const ROUNDS = 3;
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RABBITMQ_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A consumer already running, fed by `publish(i)`; `processed` resolves after `n` handler calls. */
interface Side {
  publish(i: number): Promise<unknown>;
  expect(n: number): Promise<void>;
  close(): Promise<void>;
}

function counter(): { hit(): void; expect(n: number): Promise<void> } {
  let count = 0;
  let target = Number.POSITIVE_INFINITY;
  let done: (() => void) | undefined;
  return {
    hit() {
      count += 1;
      if (count >= target) done?.();
    },
    expect(n) {
      count = 0;
      target = n;
      return new Promise((resolve) => {
        done = resolve;
      });
    },
  };
}

async function publishAll(side: Side, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PUBLISHERS }, async () => {
      while (next < n) await side.publish(next++);
    }),
  );
}

/** Messages per second for publish+process of COUNT messages, after a warm-up. */
async function measure(side: Side): Promise<number> {
  try {
    const warm = side.expect(WARMUP);
    await publishAll(side, WARMUP);
    await warm;
    const processed = side.expect(COUNT);
    const t0 = performance.now();
    await publishAll(side, COUNT);
    await processed;
    return (COUNT / (performance.now() - t0)) * 1000;
  } finally {
    await side.close();
  }
}

async function oursRedis(): Promise<Side> {
  const prefix = `bench-${randomUUID()}`;
  const channel = 'bench';
  const queue = resolveQueue({ type: 'redis', url: REDIS_URL, prefix });
  await queue.connect();
  const c = counter();
  await queue.subscribe(channel, () => c.hit(), { concurrency: CONCURRENCY });
  return {
    publish: (i) => queue.publish(channel, { i }),
    expect: c.expect,
    close: async () => {
      await queue.deleteChannel(channel);
      await queue.close();
    },
  };
}

async function rawBullmq(): Promise<Side> {
  const prefix = `bench-${randomUUID()}`;
  const name = 'bench';
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection, prefix });
  const c = counter();
  const worker = new Worker(name, async () => c.hit(), { connection, prefix, concurrency: CONCURRENCY });
  await worker.waitUntilReady();
  const options = { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: false };
  return {
    publish: (i) => queue.add(name, { i }, options),
    expect: c.expect,
    close: async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    },
  };
}

async function oursRabbit(): Promise<Side> {
  const prefix = `bench-${randomUUID()}`;
  const channel = 'bench';
  const queue = resolveQueue({ type: 'rabbitmq', url: RABBITMQ_URL, prefix });
  await queue.connect();
  const c = counter();
  await queue.subscribe(channel, () => c.hit(), { concurrency: CONCURRENCY });
  return {
    publish: (i) => queue.publish(channel, { i }),
    expect: c.expect,
    close: async () => {
      await queue.close();
      const admin = resolveQueue({ type: 'rabbitmq', url: RABBITMQ_URL, prefix });
      await admin.deleteChannel(channel);
      await admin.close();
    },
  };
}

async function rawAmqplib(): Promise<Side> {
  const name = `bench-${randomUUID()}`;
  const conn = await amqp.connect(RABBITMQ_URL);
  const pub = await conn.createConfirmChannel();
  const sub = await conn.createChannel();
  await pub.assertQueue(name, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await sub.prefetch(CONCURRENCY);
  const c = counter();
  await sub.consume(name, (msg) => {
    if (!msg) return;
    JSON.parse(msg.content.toString());
    c.hit();
    sub.ack(msg);
  });
  return {
    publish: (i) =>
      new Promise<void>((resolve, reject) => {
        pub.sendToQueue(name, Buffer.from(JSON.stringify({ i })), { persistent: true, contentType: 'application/json' }, (err: unknown) =>
          err ? reject(err) : resolve(),
        );
      }),
    expect: c.expect,
    close: async () => {
      await sub.close();
      await pub.deleteQueue(name);
      await conn.close();
    },
  };
}

/**
 * Median of ROUNDS measurements per side, the two sides interleaved (and the order swapped each round)
 * so that warm-up, JIT and neighbours on the shared machine weigh on both alike.
 */
async function compare(ours: () => Promise<Side>, reference: () => Promise<Side>): Promise<[number, number]> {
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    if (round % 2 === 0) {
      a.push(await measure(await ours()));
      b.push(await measure(await reference()));
    } else {
      b.push(await measure(await reference()));
      a.push(await measure(await ours()));
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  return [median(a), median(b)];
}

export async function run(): Promise<BenchResult[]> {
  const [redisOurs, redisReference] = await compare(oursRedis, rawBullmq);
  const [rabbitOurs, rabbitReference] = await compare(oursRabbit, rawAmqplib);
  const what = `${COUNT} msgs, ${PUBLISHERS} publishes in flight, concurrency ${CONCURRENCY}, median of ${ROUNDS}`;
  return [
    { name: `queue publish+process, redis adapter vs raw BullMQ (${what})`, ours: redisOurs, reference: redisReference, unit: 'msg/s' },
    { name: `queue publish+process, rabbitmq adapter vs raw amqplib, for information (${what})`, ours: rabbitOurs, reference: rabbitReference, unit: 'msg/s' },
  ];
}

if (require.main === module) runStandalone(run);
