import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import {
  RedisStreamTransport,
  resolveSyncSignal,
  SyncNode,
  SyncSignalView,
  type ResyncEvent,
  type SyncSignal,
} from '../../index.js';
import type { RedisStreamTransportOptions } from '../../redis-stream-transport.js';
import { collector, syncSignalContract } from '../contract/sync-signal.contract.js';
import { TcpProxy } from '../../../../test/support/tcp-proxy.js';

const url = SERVICES.redis.url;
const prefixes: string[] = [];
const quiet = { warn: () => {} };
let raw: Redis;

beforeAll(async () => {
  await requireServices('redis');
  raw = new Redis(url);
});

afterAll(async () => {
  for (const prefix of prefixes) {
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await raw.unlink(...keys);
    } while (cursor !== '0');
  }
  raw.disconnect();
});

function newPrefix(): string {
  const prefix = `test-${randomUUID()}`;
  prefixes.push(prefix);
  return prefix;
}

// Default blockMs (5 s) on purpose: a subscription made while the reader is blocked must not wait
// for the block to end (CLIENT UNBLOCK), or every contract test here would take seconds.
syncSignalContract('redis (Redis Streams)', async ({ debounceMs }) => {
  const prefix = newPrefix();
  const a = resolveSyncSignal({ type: 'redis', url, prefix, debounceMs, logger: quiet });
  const b = resolveSyncSignal({ type: 'redis', url, prefix, debounceMs, logger: quiet });
  await Promise.all([a.connect(), b.connect()]);
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
});

/** A node whose transport the test can inspect. */
function redisNode(options: Partial<RedisStreamTransportOptions> & { prefix: string }, warnings: string[] = []) {
  const transport = new RedisStreamTransport({ url, reconnectDelayMs: 20, maxReconnectDelayMs: 100, ...options });
  const node = new SyncNode(transport, { debounceMs: 0, logger: { warn: (message) => void warnings.push(message) } });
  const signal: SyncSignal = new SyncSignalView(node, 'main', true);
  return { signal, transport, nodeId: node.nodeId };
}

describe('redis sync signal (Redis Streams)', () => {
  const open: SyncSignal[] = [];
  const proxies: TcpProxy[] = [];

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await Promise.all(proxies.splice(0).map((p) => p.cut()));
  });

  async function proxy() {
    const { hostname, port } = new URL(url);
    const p = new TcpProxy({ host: hostname, port: Number(port || 6379) });
    await p.start();
    proxies.push(p);
    return { url: `redis://127.0.0.1:${p.port}`, cut: () => p.cut(), restore: () => p.restore() };
  }

  async function connected(...signals: SyncSignal[]): Promise<void> {
    open.push(...signals);
    await Promise.all(signals.map((s) => s.connect()));
  }

  it('replays the signals published while a subscriber’s connection was cut, in order, without a resync', async () => {
    const prefix = newPrefix();
    const cutAway = await proxy();
    const publisher = redisNode({ prefix });
    const subscriber = redisNode({ prefix, url: cutAway.url });
    await connected(publisher.signal, subscriber.signal);
    const resyncs: ResyncEvent[] = [];
    subscriber.signal.onResync((event) => void resyncs.push(event));
    const got = collector<string>();
    await subscriber.signal.subscribe('roles', got.handler);
    await publisher.signal.publish('roles', 'before');
    await got.waitFor(1);

    await cutAway.cut();
    for (const n of [1, 2, 3]) await publisher.signal.publish('roles', `while cut ${n}`);
    expect(got.messages()).toEqual(['before']);
    await cutAway.restore();

    await got.waitFor(4);
    expect(got.messages()).toEqual(['before', 'while cut 1', 'while cut 2', 'while cut 3']);
    expect(resyncs).toEqual([]);
  });

  it('replays after CLIENT KILL of its reading connection, which reconnects under a new client id', async () => {
    const prefix = newPrefix();
    const publisher = redisNode({ prefix });
    const subscriber = redisNode({ prefix, connectionName: `cb-sync-test-${randomUUID()}` });
    await connected(publisher.signal, subscriber.signal);
    const got = collector<number>();
    await subscriber.signal.subscribe('c', got.handler);
    await publisher.signal.publish('c', 0);
    await got.waitFor(1);

    const readerName = `${(subscriber.transport as unknown as { options: { connectionName: string } }).options.connectionName}:reader`;
    const readerId = async () => {
      const list = (await raw.call('CLIENT', 'LIST')) as string;
      const line = list.split('\n').find((l) => l.includes(` name=${readerName} `));
      return line?.match(/^id=(\d+)/)?.[1];
    };
    const killed = await readerId();
    expect(killed).toBeDefined();
    expect(await raw.call('CLIENT', 'KILL', 'ID', killed!)).toBe(1);
    for (const n of [1, 2, 3]) await publisher.signal.publish('c', n);

    await got.waitFor(4);
    expect(got.messages()).toEqual([0, 1, 2, 3]);
    let current = await readerId();
    while (current === undefined) current = await readerId();
    expect(current).not.toBe(killed);
  });

  it('asks for a resync when the gap outran retention, then goes on with what is left', async () => {
    const prefix = newPrefix();
    const cutAway = await proxy();
    const publisher = redisNode({ prefix, retention: 10, exactTrim: true });
    const subscriber = redisNode({ prefix, url: cutAway.url, retention: 10, exactTrim: true });
    await connected(publisher.signal, subscriber.signal);
    const events: string[] = [];
    subscriber.signal.onResync((event) => void events.push(`resync ${event.channel} ${event.reason} ${event.missed}`));
    await subscriber.signal.subscribe<number>('c', (n) => void events.push(`signal ${n}`));
    await publisher.signal.publish('c', 0);
    while (events.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));

    await cutAway.cut();
    for (let n = 1; n <= 25; n += 1) await publisher.signal.publish('c', n);
    expect(await raw.xlen(publisher.transport.streamKey('main', 'c'))).toBe(10);
    await cutAway.restore();

    while (events.length < 12) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events).toEqual([
      'signal 0',
      'resync c gap 15',
      ...Array.from({ length: 10 }, (_, i) => `signal ${16 + i}`),
    ]);
  });

  it('detects the gap with Redis’s default approximate trimming too', async () => {
    const prefix = newPrefix();
    const cutAway = await proxy();
    const publisher = redisNode({ prefix, retention: 10 });
    const subscriber = redisNode({ prefix, url: cutAway.url, retention: 10 });
    await connected(publisher.signal, subscriber.signal);
    const resyncs: ResyncEvent[] = [];
    subscriber.signal.onResync((event) => void resyncs.push(event));
    const got = collector<number>();
    await subscriber.signal.subscribe('c', got.handler);
    await publisher.signal.publish('c', 0);
    await got.waitFor(1);

    await cutAway.cut();
    for (let n = 1; n <= 300; n += 1) await publisher.signal.publish('c', n);
    const length = await raw.xlen(publisher.transport.streamKey('main', 'c'));
    expect(length).toBeLessThan(301);
    await cutAway.restore();

    while (!got.messages().includes(300)) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(resyncs).toHaveLength(1);
    expect(resyncs[0]).toMatchObject({ app: 'main', channel: 'c', reason: 'gap' });
    expect(resyncs[0].missed).toBe(300 - length);
    expect(got.messages()).toEqual([0, ...Array.from({ length }, (_, i) => 301 - length + i)]);
  });

  it('asks for a resync when the stream was deleted and its numbering restarted', async () => {
    const prefix = newPrefix();
    const publisher = redisNode({ prefix });
    const subscriber = redisNode({ prefix });
    await connected(publisher.signal, subscriber.signal);
    const resyncs: ResyncEvent[] = [];
    subscriber.signal.onResync((event) => void resyncs.push(event));
    const got = collector<string>();
    await subscriber.signal.subscribe('c', got.handler);
    await publisher.signal.publish('c', 'one');
    await publisher.signal.publish('c', 'two');
    await got.waitFor(2);
    const key = publisher.transport.streamKey('main', 'c');
    const lastMs = Number(subscriber.transport.position('main', 'c')!.id.split('-')[0]);
    await raw.del(key, `${key}:seq`);
    // A recreated stream restarts ids within the millisecond; an entry with the same id as the one
    // last read would not be read (Redis ids only grow per stream). Let that millisecond pass.
    while (Date.now() <= lastMs) await new Promise((resolve) => setTimeout(resolve, 1));
    await publisher.signal.publish('c', 'after flush');
    await got.waitFor(3);
    expect(resyncs).toEqual([{ app: 'main', channel: 'c', reason: 'reset' }]);
  });

  it('does not hand a new subscriber what was published before it subscribed', async () => {
    const prefix = newPrefix();
    const publisher = redisNode({ prefix });
    const late = redisNode({ prefix });
    await connected(publisher.signal, late.signal);
    await publisher.signal.publish('c', 'old');
    const got = collector<string>();
    await late.signal.subscribe('c', got.handler);
    expect(late.transport.position('main', 'c')?.seq).toBe(1);
    await publisher.signal.publish('c', 'new');
    await got.waitFor(1);
    expect(got.messages()).toEqual(['new']);
  });

  it('keeps each channel in its own stream, trimmed to about the retention', async () => {
    const prefix = newPrefix();
    const node = redisNode({ prefix, retention: 5, exactTrim: true });
    await connected(node.signal);
    for (let n = 0; n < 12; n += 1) await node.signal.forApp('shop').publish('roles', n);
    const key = node.transport.streamKey('shop', 'roles');
    expect(key).toBe(`${prefix}:{shop:roles}`);
    expect(await raw.type(key)).toBe('stream');
    expect(await raw.xlen(key)).toBe(5);
    expect(await raw.get(`${key}:seq`)).toBe('12');
    const [[, fields]] = (await raw.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
    expect(fields[0]).toBe('seq');
    expect(fields[1]).toBe('12');
    expect(JSON.parse(fields[3])).toMatchObject({ app: 'shop', channel: 'roles', message: 11, from: node.nodeId, skipSelf: true });
  });

  it('listens in connect() for handlers subscribed before it', async () => {
    const prefix = newPrefix();
    const publisher = redisNode({ prefix });
    const subscriber = redisNode({ prefix });
    const got = collector<string>();
    await subscriber.signal.subscribe('c', got.handler);
    await connected(publisher.signal, subscriber.signal);
    await publisher.signal.publish('c', 'x');
    await got.waitFor(1);
    expect(got.messages()).toEqual(['x']);
  });

  it('fails connect on an unreachable server', async () => {
    const signal = resolveSyncSignal({ type: 'redis', url: 'redis://127.0.0.1:1', logger: quiet, redisOptions: { retryStrategy: () => null } });
    await expect(signal.connect()).rejects.toThrow();
    await signal.close();
  });
});
