import { randomUUID } from 'node:crypto';
import type { DeliveryContext, MessageQueue, QueueCommonOptions } from '../../index.js';
import { aborted, deferred, sleep, waitFor } from '../support/async.js';

/** How the contract reaches one adapter. */
export interface QueueContractFixture {
  /** Once per suite, e.g. requireServices. */
  beforeAll?(): Promise<void>;
  /**
   * A new, connected adapter instance on the shared broker, as another node would have. Every
   * instance of one suite must share the `prefix` given.
   */
  node(options: QueueCommonOptions & { prefix: string }): Promise<MessageQueue>;
  /** Puts a payload on the channel's wire as a foreign producer would. */
  injectRaw(queue: MessageQueue, channel: string, payload: string): Promise<void>;
  /** Stops the channel's consumers behind their subscriptions' back, as a broker cancel or a dead worker loop would. */
  severConsumers(queue: MessageQueue, channel: string): Promise<void>;
}

interface Received {
  readonly body: unknown;
  readonly ctx: DeliveryContext;
  readonly at: number;
}

/**
 * The MessageQueue contract. Every adapter runs it unchanged; adapter-specific behaviour (connection
 * loss, broker arguments, stalled-job timing) lives in that adapter's own tests.
 */
export function queueContract(adapter: string, fixture: QueueContractFixture): void {
  describe(`MessageQueue contract: ${adapter}`, () => {
    const prefix = `test-${randomUUID()}`;
    let nodes: MessageQueue[] = [];
    let channels: string[] = [];
    let admin: MessageQueue;

    const node = async (options: QueueCommonOptions = {}): Promise<MessageQueue> => {
      const q = await fixture.node({ ...options, prefix });
      nodes.push(q);
      return q;
    };
    const channel = (): string => {
      const c = `c-${randomUUID()}`;
      channels.push(c);
      return c;
    };

    beforeAll(async () => {
      await fixture.beforeAll?.();
      admin = await fixture.node({ prefix });
    });

    afterEach(async () => {
      await Promise.all(nodes.map((q) => q.close({ graceful: false })));
      for (const c of channels) await admin.deleteChannel(c);
      nodes = [];
      channels = [];
    });

    afterAll(async () => {
      await admin?.close();
    });

    it('delivers a published message to a subscriber as JSON, with its id and attempt 1', async () => {
      const q = await node();
      const ch = channel();
      const got = deferred<Received>();
      await q.subscribe(ch, (body, ctx) => got.resolve({ body, ctx, at: Date.now() }));
      const id = await q.publish(ch, { n: 1, at: new Date(0), list: [1, 'two', null] });
      const r = await got.promise;
      expect(r.body).toEqual({ n: 1, at: '1970-01-01T00:00:00.000Z', list: [1, 'two', null] });
      expect(r.ctx.id).toBe(id);
      expect(r.ctx.attempt).toBe(1);
      expect(r.ctx.signal.aborted).toBe(false);
    });

    it('hands each message to exactly one of several competing subscribers', async () => {
      const [a, b, publisher] = [await node(), await node(), await node()];
      const ch = channel();
      const seen: string[] = [];
      const handler = async (_body: unknown, ctx: DeliveryContext) => {
        seen.push(ctx.id);
      };
      await a.subscribe(ch, handler, { concurrency: 2 });
      await b.subscribe(ch, handler, { concurrency: 2 });
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => publisher.publish(ch, { i })));
      await waitFor('20 deliveries', () => seen.length >= 20);
      await waitFor('acks', async () => (await publisher.stats(ch)).inFlight === 0);
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(await publisher.stats(ch)).toEqual({ waiting: 0, delayed: 0, inFlight: 0, deadLettered: 0 });
    });

    it('acknowledges only after the handler resolves: a delivery abandoned mid-handler is delivered again', async () => {
      const [first, second] = [await node(), await node()];
      const ch = channel();
      const started = deferred<DeliveryContext>();
      const stop = await first.subscribe(ch, async (_body, ctx) => {
        started.resolve(ctx);
        await aborted(ctx.signal);
      });
      const id = await first.publish(ch, { job: 'long' });
      const ctx = await started.promise;
      const during = await second.stats(ch);
      expect(during.waiting).toBe(0);
      expect(during.deadLettered).toBe(0);
      expect((await first.stats(ch)).inFlight).toBe(1);

      await stop({ graceful: false });
      expect(ctx.signal.aborted).toBe(true);

      const again = deferred<Received>();
      await second.subscribe(ch, (body, c) => again.resolve({ body, ctx: c, at: Date.now() }));
      const r = await again.promise;
      expect(r.ctx.id).toBe(id);
      expect(r.body).toEqual({ job: 'long' });
      expect(r.ctx.attempt).toBe(1);
    });

    it('never runs more handlers at once than the subscription concurrency', async () => {
      const q = await node();
      const ch = channel();
      let active = 0;
      let peak = 0;
      let done = 0;
      const release = deferred();
      await Promise.all(Array.from({ length: 8 }, (_, i) => q.publish(ch, { i })));
      await q.subscribe(
        ch,
        async () => {
          active += 1;
          peak = Math.max(peak, active);
          await release.promise;
          active -= 1;
          done += 1;
        },
        { concurrency: 3 },
      );
      await waitFor('3 running handlers', () => active === 3);
      expect((await q.stats(ch)).inFlight).toBe(3);
      await sleep(100); // room for a 4th handler to start, if the limit were broken
      expect(active).toBe(3);
      release.resolve();
      await waitFor('8 handled', () => done === 8);
      expect(peak).toBe(3);
    });

    it('retries a failing message with backoff, then dead-letters it with its last error and attempts', async () => {
      const q = await node();
      const ch = channel();
      const attempts: number[] = [];
      await q.subscribe(ch, (_body, ctx) => {
        attempts.push(ctx.attempt);
        throw new Error(`boom ${ctx.attempt}`);
      });
      const before = Date.now();
      const id = await q.publish(ch, { doomed: true }, { attempts: 3, backoff: { type: 'fixed', delayMs: 50 } });
      const [dead] = await waitFor('a dead letter', async () => {
        const list = await q.deadLetters(ch);
        return list.length > 0 && list;
      });
      expect(attempts).toEqual([1, 2, 3]);
      expect(dead).toMatchObject({ id, message: { doomed: true }, error: 'boom 3', attempts: 3 });
      expect(dead?.failedAt).toBeGreaterThanOrEqual(before);
      expect(await q.stats(ch)).toMatchObject({ waiting: 0, delayed: 0, deadLettered: 1 });
    });

    it('requeues dead letters with a fresh set of attempts, all of them or the ids given', async () => {
      const q = await node();
      const ch = channel();
      let healthy = false;
      const succeeded: Array<{ id: string; attempt: number }> = [];
      await q.subscribe(
        ch,
        (_body, ctx) => {
          if (!healthy) throw new Error('not yet');
          succeeded.push({ id: ctx.id, attempt: ctx.attempt });
        },
        { concurrency: 2 },
      );
      const [one, two, three] = await Promise.all([1, 2, 3].map((n) => q.publish(ch, { n }, { attempts: 1 })));
      await waitFor('3 dead letters', async () => (await q.stats(ch)).deadLettered === 3);
      healthy = true;

      expect(await q.requeueDeadLetters(ch, [two as string, 'no-such-id'])).toBe(1);
      await waitFor('the requeued message', () => succeeded.length === 1);
      expect(succeeded).toEqual([{ id: two, attempt: 1 }]);
      expect((await q.deadLetters(ch)).map((d) => d.id).sort()).toEqual([one, three].sort());

      expect(await q.requeueDeadLetters(ch)).toBe(2);
      await waitFor('all requeued messages', () => succeeded.length === 3);
      expect(succeeded.map((s) => s.id).sort()).toEqual([one, two, three].sort());
      expect(await q.deadLetters(ch)).toEqual([]);
      await waitFor('acks', async () => (await q.stats(ch)).inFlight === 0);
      expect(await q.stats(ch)).toEqual({ waiting: 0, delayed: 0, inFlight: 0, deadLettered: 0 });
    });

    it('discards the dead letters named, for good, and leaves the others', async () => {
      const q = await node();
      const ch = channel();
      const got: unknown[] = [];
      let healthy = false;
      await q.subscribe(ch, (body) => {
        if (!healthy) throw new Error('not yet');
        got.push(body);
      });
      const [one, two] = await Promise.all([1, 2].map((n) => q.publish(ch, { n }, { attempts: 1 })));
      await waitFor('2 dead letters', async () => (await q.stats(ch)).deadLettered === 2);
      expect(await q.discardDeadLetters(ch, [one as string, 'no-such-id'])).toBe(1);
      expect((await q.deadLetters(ch)).map((d) => d.id)).toEqual([two]);
      expect(await q.discardDeadLetters(ch, [one as string])).toBe(0);
      healthy = true;
      expect(await q.requeueDeadLetters(ch)).toBe(1);
      await waitFor('the kept one processed', () => got.length === 1);
      expect(got).toEqual([{ n: 2 }]);
    });

    it('tells how long the oldest waiting message has waited (0 when none waits, null when the broker cannot tell)', async () => {
      const q = await node();
      const ch = channel();
      const empty = await q.oldestWaitingMs(ch);
      if (empty === null) return; // RabbitMQ: no ages without consuming
      expect(empty).toBe(0);
      await q.publish(ch, { first: true });
      await sleep(120);
      await q.publish(ch, { second: true });
      expect(await q.oldestWaitingMs(ch)).toBeGreaterThanOrEqual(100);
      const got: unknown[] = [];
      await q.subscribe(ch, (body) => void got.push(body));
      await waitFor('both delivered', () => got.length === 2);
      expect(await q.oldestWaitingMs(ch)).toBe(0);
    });

    it('waits at least the exponential backoff between attempts', async () => {
      const q = await node();
      const ch = channel();
      const failedAt: number[] = [];
      const startedAt: number[] = [];
      await q.subscribe(ch, () => {
        startedAt.push(Date.now());
        failedAt.push(Date.now());
        throw new Error('again');
      });
      await q.publish(ch, {}, { attempts: 3, backoff: { type: 'exponential', delayMs: 150 } });
      await waitFor('3 attempts', () => startedAt.length === 3);
      // Lower bounds only ("not before"), with 2 ms for clock rounding between broker and test.
      expect((startedAt[1] as number) - (failedAt[0] as number)).toBeGreaterThanOrEqual(150 - 2);
      expect((startedAt[2] as number) - (failedAt[1] as number)).toBeGreaterThanOrEqual(300 - 2);
    });

    it('delivers a delayed message not before its delay, and an undelayed one meanwhile', async () => {
      const q = await node();
      const ch = channel();
      const got: Received[] = [];
      const t0 = Date.now();
      const late = await q.publish(ch, { late: true }, { delayMs: 600 });
      expect(await q.stats(ch)).toMatchObject({ waiting: 0, delayed: 1 });
      await q.subscribe(ch, (body, ctx) => {
        got.push({ body, ctx, at: Date.now() });
      });
      const now = await q.publish(ch, { late: false });
      await waitFor('both messages', () => got.length === 2);
      expect(got.map((g) => g.ctx.id)).toEqual([now, late]);
      expect((got[1] as Received).at - t0).toBeGreaterThanOrEqual(600);
      expect((got[1] as Received).ctx.attempt).toBe(1);
    });

    it('queues a jobId once, also after that message was processed', async () => {
      const q = await node();
      const ch = channel();
      const jobId = `order:42/${randomUUID()}`;
      expect(await q.publish(ch, { v: 'first' }, { jobId })).toBe(jobId);
      expect(await q.publish(ch, { v: 'second' }, { jobId })).toBe(jobId);
      expect((await q.stats(ch)).waiting).toBe(1);

      const got: Received[] = [];
      await q.subscribe(ch, (body, ctx) => {
        got.push({ body, ctx, at: Date.now() });
      });
      await waitFor('the first delivery', () => got.length === 1);
      await waitFor('its ack', async () => (await q.stats(ch)).inFlight === 0);
      expect(await q.publish(ch, { v: 'third' }, { jobId })).toBe(jobId);
      await q.publish(ch, { v: 'sentinel' });
      await waitFor('the sentinel', () => got.length >= 2);
      await sleep(50);
      expect(got.map((g) => g.body)).toEqual([{ v: 'first' }, { v: 'sentinel' }]);
      expect(got[0]?.ctx.id).toBe(jobId);
    });

    it('on graceful close finishes the in-flight handler, acknowledges it and takes no new message', async () => {
      const [a, b] = [await node(), await node()];
      const ch = channel();
      const first = await a.publish(ch, { n: 1 });
      const second = await a.publish(ch, { n: 2 });
      const started = deferred<string>();
      const release = deferred();
      const handledByA: string[] = [];
      await a.subscribe(ch, async (_body, ctx) => {
        started.resolve(ctx.id);
        await release.promise;
        handledByA.push(ctx.id);
      });
      expect(await started.promise).toBe(first);

      let closed = false;
      const closing = a.close({ graceful: true }).then(() => {
        closed = true;
      });
      await sleep(100);
      expect(closed).toBe(false);
      release.resolve();
      await closing;
      expect(handledByA).toEqual([first]);

      expect(await b.stats(ch)).toEqual({ waiting: 1, delayed: 0, inFlight: 0, deadLettered: 0 });
      const handledByB: string[] = [];
      await b.subscribe(ch, (_body, ctx) => {
        handledByB.push(ctx.id);
      });
      await waitFor('the second message', () => handledByB.length === 1);
      await sleep(50);
      expect(handledByB).toEqual([second]);
    });

    it('on close with a timeout aborts a handler that does not finish, and its message comes back', async () => {
      const [a, b] = [await node(), await node()];
      const ch = channel();
      const started = deferred<DeliveryContext>();
      await a.subscribe(ch, async (_body, ctx) => {
        started.resolve(ctx);
        await new Promise(() => undefined); // ignores its signal
      });
      const id = await a.publish(ch, { stuck: true });
      const ctx = await started.promise;
      await a.close({ graceful: true, timeoutMs: 100 });
      expect(ctx.signal.aborted).toBe(true);
      const again = deferred<string>();
      await b.subscribe(ch, (_body, c) => again.resolve(c.id));
      expect(await again.promise).toBe(id);
    });

    it('dead-letters a payload that is not an envelope without calling the handler', async () => {
      const q = await node();
      const ch = channel();
      const got: unknown[] = [];
      await fixture.injectRaw(q, ch, 'not json at all');
      await fixture.injectRaw(q, ch, '{"hello":"world"}');
      await q.subscribe(ch, (body) => {
        got.push(body);
      });
      const dead = await waitFor('2 dead letters', async () => {
        const list = await q.deadLetters(ch);
        return list.length === 2 && list;
      });
      expect(got).toEqual([]);
      for (const d of dead) expect(d.error).toMatch(/envelope/);
      expect(dead.map((d) => d.message)).toEqual(expect.arrayContaining(['not json at all', { hello: 'world' }]));
      expect(await q.requeueDeadLetters(ch)).toBe(0);
      await q.publish(ch, { fine: true });
      await waitFor('a valid message after them', () => got.length === 1);
    });

    it('dead-letters a message abandoned more often than the redelivery limit', async () => {
      const nodeOptions = { redeliveryLimit: 1 };
      const ch = channel();
      const publisher = await node(nodeOptions);
      const id = await publisher.publish(ch, { poison: true });
      for (let i = 0; i < 2; i += 1) {
        const consumer = await node(nodeOptions);
        const started = deferred();
        const stop = await consumer.subscribe(ch, async (_body, ctx) => {
          started.resolve();
          await aborted(ctx.signal);
        });
        await started.promise;
        await stop({ graceful: false });
      }
      const observer = await node(nodeOptions);
      const seen: string[] = [];
      await observer.subscribe(ch, (_body, ctx) => {
        seen.push(ctx.id);
      });
      const [dead] = await waitFor('the poison message in the dead letters', async () => {
        const list = await observer.deadLetters(ch);
        return list.length > 0 && list;
      });
      expect(dead?.id).toBe(id);
      expect(dead?.message).toEqual({ poison: true });
      expect(seen).toEqual([]);
    });

    it('counts waiting, delayed, in-flight and dead-lettered messages', async () => {
      const q = await node();
      const ch = channel();
      expect(await q.stats(ch)).toEqual({ waiting: 0, delayed: 0, inFlight: 0, deadLettered: 0 });
      await q.publish(ch, { a: 1 });
      await q.publish(ch, { a: 2 });
      await q.publish(ch, { a: 3 }, { delayMs: 120_000 });
      expect(await q.stats(ch)).toEqual({ waiting: 2, delayed: 1, inFlight: 0, deadLettered: 0 });
    });

    it('stops delivering to a subscriber once unsubscribed', async () => {
      const q = await node();
      const ch = channel();
      const got: unknown[] = [];
      const stop = await q.subscribe(ch, (body) => {
        got.push(body);
      });
      await q.publish(ch, { n: 1 });
      await waitFor('the first message', () => got.length === 1);
      await stop();
      await q.publish(ch, { n: 2 });
      await sleep(100);
      expect(got).toEqual([{ n: 1 }]);
      expect((await q.stats(ch)).waiting).toBe(1);
    });

    it('reports a live consumer as attached with fresh rounds, also while idle, and a silently stopped one as detached with a reason', async () => {
      const q = await node({ consumerProbeMs: 100 });
      const ch = channel();
      const got: unknown[] = [];
      const stop = await q.subscribe(ch, (body) => {
        got.push(body);
      });
      expect(stop.status()).toMatchObject({ channel: ch, attached: true });
      await q.publish(ch, { n: 1 });
      await waitFor('the message', () => got.length === 1);
      const idleSince = Date.now();
      await waitFor('a round while idle', () => (stop.status().lastRoundAt ?? 0) > idleSince);
      expect(stop.status().attached).toBe(true);

      await fixture.severConsumers(q, ch);
      const severed = await waitFor('the consumer reported detached', () => (stop.status().attached ? null : stop.status()));
      expect(severed.reason).toEqual(expect.any(String));
      await stop({ graceful: false });
      expect(stop.status()).toMatchObject({ attached: false, reason: 'unsubscribed' });
    });

    it('refuses what JSON cannot carry and names that are not channel names', async () => {
      const q = await node();
      const ch = channel();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const bad of [undefined, 10n, cyclic, () => 1]) {
        await expect(q.publish(ch, bad)).rejects.toMatchObject({ type: 'CB_ERR_QUEUE_INVALID_MESSAGE', code: 400 });
      }
      await expect(q.publish('bad channel!', {})).rejects.toMatchObject({ type: 'CB_ERR_VALIDATION' });
      await expect(q.publish(ch, {}, { attempts: 0 })).rejects.toMatchObject({ type: 'CB_ERR_VALIDATION' });
      await expect(q.subscribe(ch, () => undefined, { concurrency: 0 })).rejects.toMatchObject({ type: 'CB_ERR_VALIDATION' });
      expect((await q.stats(ch)).waiting).toBe(0);
    });

    it('refuses work after close', async () => {
      const q = await node();
      const ch = channel();
      await q.close();
      await expect(q.publish(ch, {})).rejects.toMatchObject({ type: 'CB_ERR_QUEUE_CLOSED', retryable: true });
      await expect(q.subscribe(ch, () => undefined)).rejects.toMatchObject({ type: 'CB_ERR_QUEUE_CLOSED' });
      await expect(q.close()).resolves.toBeUndefined();
    });
  });
}
