import { LocalHub, resolveSyncSignal, type SyncSignal } from '../../index.js';
import { collector, syncSignalContract } from '../contract/sync-signal.contract.js';

const quiet = { warn: () => {} };

async function localPair(type: 'local' | 'memory', debounceMs: number) {
  const hub = new LocalHub();
  const a = resolveSyncSignal({ type, hub, debounceMs, logger: quiet });
  const b = resolveSyncSignal({ type, hub, debounceMs, logger: quiet });
  await Promise.all([a.connect(), b.connect()]);
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

syncSignalContract('local', ({ debounceMs }) => localPair('local', debounceMs));
syncSignalContract('memory (alias of local)', ({ debounceMs }) => localPair('memory', debounceMs));

describe('local sync signal', () => {
  const open: SyncSignal[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('starts listening in connect() for handlers subscribed before it', async () => {
    const hub = new LocalHub();
    const a = resolveSyncSignal({ type: 'local', hub, debounceMs: 0, logger: quiet });
    const b = resolveSyncSignal({ type: 'local', hub, debounceMs: 0, logger: quiet });
    open.push(a, b);
    const got = collector<string>();
    await b.subscribe('c', got.handler);
    await Promise.all([a.connect(), b.connect()]);
    await a.publish('c', 'x');
    await got.waitFor(1);
    expect(got.messages()).toEqual(['x']);
  });

  it('refuses to publish before connect', async () => {
    const a = resolveSyncSignal({ type: 'local', hub: new LocalHub(), logger: quiet });
    open.push(a);
    await expect(a.publish('c', 'x')).rejects.toThrow(/not connected/);
  });

  it('connects every SyncSignal of the process through the default hub', async () => {
    const a = resolveSyncSignal({ type: 'local', debounceMs: 0, logger: quiet, app: 'default-hub-test' });
    const b = resolveSyncSignal({ type: 'local', debounceMs: 0, logger: quiet, app: 'default-hub-test' });
    open.push(a, b);
    await Promise.all([a.connect(), b.connect()]);
    const got = collector<string>();
    await b.subscribe('c', got.handler);
    await a.publish('c', 'across the process');
    await got.waitFor(1);
    expect(got.received[0].meta.app).toBe('default-hub-test');
  });

  it('passes a handler failure and a failed after-commit publish to the logger', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => void warnings.push(message) };
    const hub = new LocalHub();
    const a = resolveSyncSignal({ type: 'local', hub, debounceMs: 0, logger });
    const b = resolveSyncSignal({ type: 'local', hub, debounceMs: 0, logger });
    open.push(b);
    await Promise.all([a.connect(), b.connect()]);
    const got = collector<string>();
    await b.subscribe('c', () => Promise.reject(new Error('nope')));
    await b.subscribe('c', got.handler);
    await a.publish('c', 'x');
    await got.waitFor(1);
    expect(warnings).toEqual(['sync handler on main/c failed']);
    let commit!: () => void;
    await a.publish('c', 'late', { afterCommit: { afterCommit: (cb) => (commit = cb) } });
    await a.close();
    commit();
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual(['sync handler on main/c failed', 'after-commit signal on main/c failed']);
  });
});

describe('resolveSyncSignal', () => {
  it('refuses an unknown adapter naming the accepted ones', () => {
    expect(() => resolveSyncSignal({ type: 'kafka' } as never)).toThrow(/Unknown sync signal adapter "kafka" \(expected local, memory, transporter or redis\)/);
  });

  it('refuses redis without a redis URL, transporter without a broker, and bad settings', () => {
    expect(() => resolveSyncSignal({ type: 'redis', url: 'nats://x' })).toThrow(/redis:\/\//);
    expect(() => resolveSyncSignal({ type: 'transporter' } as never)).toThrow(/ServiceBroker/);
    expect(() => resolveSyncSignal({ type: 'local', debounceMs: -1 })).toThrow(/debounceMs/);
    expect(() => resolveSyncSignal({ type: 'local', app: 'a:b' })).toThrow(/app name/);
    expect(() => resolveSyncSignal({ type: 'redis', url: 'redis://x', retention: 0 })).toThrow(/retention/);
  });

  it('gives the root view the main app and a node id shared by its app views', () => {
    const root = resolveSyncSignal({ type: 'local', nodeId: 'node-1' });
    expect(root.app).toBe('main');
    expect(root.kind).toBe('local');
    expect(root.forApp('shop').nodeId).toBe('node-1');
    expect(root.forApp('shop').app).toBe('shop');
  });
});
