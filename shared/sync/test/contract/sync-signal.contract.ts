import type { AfterCommitHost, SignalMeta, SyncSignal } from '../../index.js';

/** Two connected nodes that see each other, with the given debounce window. */
export interface NodePair {
  readonly a: SyncSignal;
  readonly b: SyncSignal;
  close(): Promise<void>;
}

export type PairFactory = (options: { debounceMs: number }) => Promise<NodePair>;

export interface Received<T = unknown> {
  readonly message: T;
  readonly meta: SignalMeta;
}

/** A handler that records what it gets, and waits until it has `n` signals. */
export function collector<T = unknown>() {
  const received: Received<T>[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const handler = (message: T, meta: SignalMeta) => {
    received.push({ message, meta });
    for (const waiter of waiters.filter((w) => received.length >= w.n)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const waitFor = (n: number) =>
    received.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }));
  return { handler, received, waitFor, messages: () => received.map((r) => r.message) };
}

/** A stand-in transaction: runs after-commit callbacks when commit() is called. */
export class FakeTransaction implements AfterCommitHost {
  private readonly callbacks: (() => void)[] = [];

  afterCommit(callback: () => void): void {
    this.callbacks.push(callback);
  }

  commit(): void {
    for (const callback of this.callbacks.splice(0)) callback();
  }
}

/**
 * The SyncSignal contract, run against every adapter. "Not delivered" is proven with a barrier: a
 * later signal on the same channel that is delivered, since a channel's signals arrive in order.
 */
export function syncSignalContract(adapter: string, factory: PairFactory): void {
  describe(`SyncSignal contract: ${adapter}`, () => {
    let pair: NodePair;

    afterEach(async () => {
      await pair?.close();
    });

    it('delivers a signal to a subscriber on another node, with its app, channel and sender', async () => {
      pair = await factory({ debounceMs: 0 });
      const got = collector<{ collection: string }>();
      await pair.b.subscribe('collections', got.handler);
      await pair.a.publish('collections', { collection: 'posts' });
      await got.waitFor(1);
      expect(got.received[0].message).toEqual({ collection: 'posts' });
      expect(got.received[0].meta).toMatchObject({ app: 'main', channel: 'collections', from: pair.a.nodeId, self: false });
      expect(typeof got.received[0].meta.id).toBe('string');
      expect(typeof got.received[0].meta.publishedAt).toBe('number');
    });

    it('delivers a channel’s signals in the order they were published', async () => {
      pair = await factory({ debounceMs: 0 });
      const got = collector<number>();
      await pair.b.subscribe('ordered', got.handler);
      for (let i = 0; i < 20; i += 1) await pair.a.publish('ordered', i);
      await got.waitFor(20);
      expect(got.messages()).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it('does not deliver a node’s own signal to itself by default (skipSelf)', async () => {
      pair = await factory({ debounceMs: 0 });
      const onA = collector<string>();
      await pair.a.subscribe('c', onA.handler);
      await pair.a.publish('c', 'from a');
      await pair.b.publish('c', 'barrier from b');
      await onA.waitFor(1);
      expect(onA.messages()).toEqual(['barrier from b']);
    });

    it('delivers a node’s own signal to itself with skipSelf: false, marked self', async () => {
      pair = await factory({ debounceMs: 0 });
      const onA = collector<string>();
      await pair.a.subscribe('c', onA.handler);
      await pair.a.publish('c', 'to myself too', { skipSelf: false });
      await onA.waitFor(1);
      expect(onA.received[0]).toMatchObject({ message: 'to myself too', meta: { self: true, from: pair.a.nodeId } });
    });

    it('keeps channels apart', async () => {
      pair = await factory({ debounceMs: 0 });
      const got = collector<string>();
      await pair.b.subscribe('wanted', got.handler);
      await pair.a.publish('other', 'not for b');
      await pair.a.publish('wanted', 'for b');
      await got.waitFor(1);
      expect(got.messages()).toEqual(['for b']);
    });

    it('keeps apps apart: a signal reaches only the same app on other nodes', async () => {
      pair = await factory({ debounceMs: 0 });
      const shopOnB = collector<string>();
      const crmOnB = collector<string>();
      await pair.b.forApp('shop').subscribe('c', shopOnB.handler);
      await pair.b.forApp('crm').subscribe('c', crmOnB.handler);
      await pair.a.forApp('shop').publish('c', 'shop change');
      await pair.a.forApp('crm').publish('c', 'crm change');
      await Promise.all([shopOnB.waitFor(1), crmOnB.waitFor(1)]);
      await pair.a.forApp('shop').publish('c', 'shop barrier');
      await shopOnB.waitFor(2);
      expect(shopOnB.messages()).toEqual(['shop change', 'shop barrier']);
      expect(crmOnB.messages()).toEqual(['crm change']);
      expect(shopOnB.received[0].meta.app).toBe('shop');
    });

    it('calls every handler of a channel, and stops calling one after unsubscribe', async () => {
      pair = await factory({ debounceMs: 0 });
      const first = collector<string>();
      const second = collector<string>();
      const unsubscribeFirst = await pair.b.subscribe('c', first.handler);
      await pair.b.subscribe('c', second.handler);
      await pair.a.publish('c', 'both');
      await Promise.all([first.waitFor(1), second.waitFor(1)]);
      await unsubscribeFirst();
      await pair.a.publish('c', 'second only');
      await second.waitFor(2);
      expect(first.messages()).toEqual(['both']);
      expect(second.messages()).toEqual(['both', 'second only']);
    });

    it('keeps delivering to other handlers when one throws', async () => {
      pair = await factory({ debounceMs: 0 });
      const got = collector<string>();
      await pair.b.subscribe('c', () => {
        throw new Error('handler failure');
      });
      await pair.b.subscribe('c', got.handler);
      await pair.a.publish('c', 'one');
      await pair.a.publish('c', 'two');
      await got.waitFor(2);
      expect(got.messages()).toEqual(['one', 'two']);
    });

    it('gives each handler its own copy of the message', async () => {
      pair = await factory({ debounceMs: 0 });
      await pair.b.subscribe<{ n: number }>('c', (message) => {
        message.n += 1;
      });
      const got = collector<{ n: number }>();
      await pair.b.subscribe('c', got.handler);
      await pair.a.publish('c', { n: 1 });
      await got.waitFor(1);
      expect(got.messages()).toEqual([{ n: 1 }]);
    });

    it('coalesces identical signals published within the debounce window into one', async () => {
      pair = await factory({ debounceMs: 50 });
      const got = collector<unknown>();
      await pair.b.subscribe('c', got.handler);
      await Promise.all([
        pair.a.publish('c', { reload: 'posts' }),
        pair.a.publish('c', { reload: 'posts' }),
        pair.a.publish('c', { reload: 'posts' }),
        pair.a.publish('c', { reload: 'users' }),
      ]);
      await pair.a.publish('c', 'barrier', { debounceMs: 0 });
      await got.waitFor(3);
      expect(got.messages()).toEqual([{ reload: 'posts' }, { reload: 'users' }, 'barrier']);
    });

    it('sends an identical signal again once the previous one went out', async () => {
      pair = await factory({ debounceMs: 20 });
      const got = collector<unknown>();
      await pair.b.subscribe('c', got.handler);
      await pair.a.publish('c', 'same');
      await pair.a.publish('c', 'same');
      await got.waitFor(2);
      expect(got.messages()).toEqual(['same', 'same']);
    });

    it('publishes with afterCommit only once the transaction commits', async () => {
      pair = await factory({ debounceMs: 0 });
      const got = collector<string>();
      await pair.b.subscribe('c', got.handler);
      const committed = new FakeTransaction();
      const rolledBack = new FakeTransaction();
      await pair.a.publish('c', 'rolled back', { afterCommit: rolledBack });
      await pair.a.publish('c', 'committed', { afterCommit: committed });
      await pair.a.publish('c', 'direct');
      await got.waitFor(1);
      expect(got.messages()).toEqual(['direct']);
      committed.commit();
      await got.waitFor(2);
      await pair.a.publish('c', 'barrier');
      await got.waitFor(3);
      expect(got.messages()).toEqual(['direct', 'committed', 'barrier']);
    });

    it('sends a debounced signal still waiting when the node closes', async () => {
      pair = await factory({ debounceMs: 60_000 });
      const got = collector<string>();
      await pair.b.subscribe('c', got.handler);
      const published = pair.a.publish('c', 'pending at close');
      await pair.a.close();
      await published;
      await got.waitFor(1);
      expect(got.messages()).toEqual(['pending at close']);
    });

    it('refuses to publish after close, a non-JSON message and an empty channel', async () => {
      pair = await factory({ debounceMs: 0 });
      await expect(pair.a.publish('c', undefined)).rejects.toThrow(/JSON/);
      await expect(pair.a.publish('', 'x')).rejects.toThrow(/channel/);
      await pair.a.close();
      await expect(pair.a.publish('c', 'x')).rejects.toThrow(/closed/);
    });

    it('drops only its own handlers when an app view closes', async () => {
      pair = await factory({ debounceMs: 0 });
      const viaView = collector<string>();
      const viaRoot = collector<string>();
      const view = pair.b.forApp('main');
      await view.subscribe('c', viaView.handler);
      await pair.b.subscribe('c', viaRoot.handler);
      await view.close();
      await pair.a.publish('c', 'after view close');
      await viaRoot.waitFor(1);
      expect(viaView.messages()).toEqual([]);
    });
  });
}
