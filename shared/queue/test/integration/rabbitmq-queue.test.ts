import { randomUUID } from 'node:crypto';
import { resolveQueue, type ConsumerStatus, type MessageQueue, type RabbitQueueOptions } from '../../index.js';
import type { RabbitQueue } from '../../rabbitmq-queue.js';
import { requireServices, SERVICES } from '../../../../test/support/services.js';
import { queueContract } from '../contract/queue-contract.js';
import { aborted, deferred, waitFor } from '../support/async.js';
import { closeConnectionsNamed, queueInfo } from '../support/rabbitmqctl.js';

const FAST_RABBIT: Omit<RabbitQueueOptions, 'type' | 'url'> = { reconnectDelayMs: 100, publishTimeoutMs: 10_000 };

queueContract('rabbitmq (amqplib, quorum queues)', {
  beforeAll: () => requireServices('rabbitmq'),
  node: async (options) => {
    const q = resolveQueue({ type: 'rabbitmq', url: SERVICES.rabbitmq.url, ...FAST_RABBIT, ...options });
    await q.connect();
    return q;
  },
  injectRaw: (queue: MessageQueue, channel: string, payload: string) => (queue as RabbitQueue).injectRaw(channel, payload),
  severConsumers: async (queue: MessageQueue, channel: string) => (queue as RabbitQueue).severConsumers(channel),
});

describe('rabbitmq queue adapter', () => {
  const prefix = `test-${randomUUID()}`;
  const open: MessageQueue[] = [];
  const channels: string[] = [];
  const node = async (options: Partial<RabbitQueueOptions> = {}) => {
    const q = resolveQueue({ type: 'rabbitmq', url: SERVICES.rabbitmq.url, prefix, ...FAST_RABBIT, ...options });
    await q.connect();
    open.push(q);
    return q;
  };
  const channel = () => {
    const c = `c-${randomUUID()}`;
    channels.push(c);
    return c;
  };

  beforeAll(() => requireServices('rabbitmq'));

  afterAll(async () => {
    await Promise.all(open.map((q) => q.close({ graceful: false })));
    const admin = await node();
    for (const c of channels) await admin.deleteChannel(c);
    await admin.close();
  });

  it('declares durable quorum queues with a delivery limit and dead-lettering to <queue>.dlq', async () => {
    const q = await node({ redeliveryLimit: 7 });
    const ch = channel();
    await q.publish(ch, { n: 1 }, { delayMs: 50 });
    const main = await queueInfo(`${prefix}.${ch}`);
    expect(main?.type).toBe('quorum');
    expect(main?.arguments).toMatchObject({ 'x-delivery-limit': 7, 'x-dead-letter-routing-key': `${prefix}.${ch}.dlq`, 'x-dead-letter-strategy': 'at-least-once' });
    expect((await queueInfo(`${prefix}.${ch}.dlq`))?.type).toBe('quorum');
    const step = await queueInfo(`${prefix}.${ch}.delay.100`);
    expect(step?.arguments).toMatchObject({ 'x-message-ttl': 100, 'x-dead-letter-routing-key': `${prefix}.${ch}` });
  });

  it('refuses, as a configuration error, a channel whose queue was declared with another delivery limit', async () => {
    const ch = channel();
    const a = await node({ redeliveryLimit: 5 });
    await a.publish(ch, { n: 1 });
    const b = await node({ redeliveryLimit: 6 });
    await expect(b.publish(ch, { n: 2 })).rejects.toMatchObject({ type: 'CB_ERR_CONFIG_INVALID', message: expect.stringContaining('different arguments') });
    // Only a throwaway channel died: the same connection still works for other channels.
    const other = channel();
    await expect(b.publish(other, { n: 3 })).resolves.toEqual(expect.any(String));
    expect((await b.stats(other)).waiting).toBe(1);
  });

  it('survives a connection cut by the broker: running handlers are aborted, messages redelivered, consumers back', async () => {
    const name = `queue-test-${randomUUID()}`;
    const q = await node({ connectionName: name });
    const ch = channel();
    const deliveries: Array<{ id: string; aborted: boolean }> = [];
    const firstStarted = deferred<AbortSignal>();
    const sub = await q.subscribe(ch, async (_body, ctx) => {
      deliveries.push({ id: ctx.id, aborted: false });
      if (deliveries.length === 1) {
        firstStarted.resolve(ctx.signal);
        await aborted(ctx.signal);
      }
    });
    const id = await q.publish(ch, { n: 1 });
    const signal = await firstStarted.promise;
    // What a supervisor polling the status sees until the consumer is back: detached, but coming back by itself.
    const whileDown: ConsumerStatus[] = [];
    const sampler = setInterval(() => {
      const st = sub.status();
      if (!st.attached) whileDown.push(st);
    }, 5);

    expect(await closeConnectionsNamed(name)).toBe(1);
    await aborted(signal);
    await waitFor('the redelivery after reconnecting', () => deliveries.length >= 2);
    clearInterval(sampler);
    expect(whileDown.length).toBeGreaterThan(0);
    expect(whileDown.filter((st) => !st.recovering)).toEqual([]);
    expect(deliveries[1]?.id).toBe(id);
    expect(sub.status()).toMatchObject({ attached: true });
    expect(sub.status()).not.toHaveProperty('recovering');

    const later = await q.publish(ch, { n: 2 });
    await waitFor('a message published after the reconnect', () => deliveries.some((d) => d.id === later));
    await waitFor('acks', async () => (await q.stats(ch)).inFlight === 0);
    expect(await q.stats(ch)).toMatchObject({ waiting: 0, deadLettered: 0 });
    await q.close();
  });

  it('closes cleanly while the broker connection is down', async () => {
    const name = `queue-test-${randomUUID()}`;
    const q = await node({ connectionName: name, reconnectDelayMs: 60_000 });
    const ch = channel();
    await q.subscribe(ch, () => undefined);
    expect(await closeConnectionsNamed(name)).toBe(1);
    await expect(q.close()).resolves.toBeUndefined();
    await expect(q.publish(ch, {})).rejects.toMatchObject({ type: 'CB_ERR_QUEUE_CLOSED' });
  });

  it('keeps consuming and publishing when another node deletes the channel under it', async () => {
    const [q, admin] = [await node(), await node()];
    const ch = channel();
    const got: unknown[] = [];
    await q.subscribe(ch, (body) => {
      got.push(body);
    });
    await q.publish(ch, { n: 1 });
    await waitFor('the first message', () => got.length === 1);
    await admin.deleteChannel(ch);
    // q still believes the queue exists: its publish comes back unroutable, is declared again and goes through.
    await q.publish(ch, { n: 2 });
    await waitFor('the consumer back on the re-created queue', () => got.length === 2);
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('brings a consumer on one node back when a publisher on another re-creates the channel a third deleted', async () => {
    const [consumer, producer, admin] = [await node(), await node(), await node()];
    const ch = channel();
    const got: unknown[] = [];
    await consumer.subscribe(ch, (body) => {
      got.push(body);
    });
    await producer.publish(ch, { n: 1 });
    await waitFor('the first message', () => got.length === 1);
    await admin.deleteChannel(ch);
    // The producer re-creates the queue at once unless it waits for the consumer to hear of the deletion.
    await producer.publish(ch, { n: 2 });
    await waitFor('the consumer back on the re-created queue', () => got.length === 2);
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('carries a long delay over several ladder steps and still not before its time', async () => {
    const q = await node();
    const ch = channel();
    const t0 = Date.now();
    await q.publish(ch, { late: true }, { delayMs: 2_100 });
    expect((await q.stats(ch)).delayed).toBe(1);
    const at = deferred<number>();
    await q.subscribe(ch, () => at.resolve(Date.now()));
    expect((await at.promise) - t0).toBeGreaterThanOrEqual(2_100);
  });
});
