import { randomUUID } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import { resolveSyncSignal, type SyncSignal } from '../../index.js';
import { collector, syncSignalContract } from '../contract/sync-signal.contract.js';

const quiet = { warn: () => {} };

beforeAll(async () => {
  await requireServices('nats');
});

// Moleculer reads `transit.serviceChangedDebounceTime` though its TransitOptions typing omits it.
const transit: NonNullable<ServiceBroker['options']['transit']> & { serviceChangedDebounceTime: number } = {
  // Moleculer batches INFO packets for 1 s after a service change; short here so tests stay short.
  serviceChangedDebounceTime: 20,
};

function natsBroker(namespace: string, nodeID: string): ServiceBroker {
  return new ServiceBroker({
    namespace,
    nodeID,
    logger: false,
    transporter: { type: 'NATS', options: { url: SERVICES.nats.url } },
    heartbeatInterval: 1,
    transit,
  });
}

/** Resolves once `broker` sees the sync service of every node in `nodeIDs`. */
async function seesSyncServiceOf(broker: ServiceBroker, nodeIDs: string[], serviceName = '$sync'): Promise<void> {
  for (;;) {
    const services = broker.registry.getServiceList({ onlyAvailable: true, withActions: false, withEvents: false }) as { name: string; nodeID: string }[];
    if (nodeIDs.every((id) => services.some((s) => s.name === serviceName && s.nodeID === id))) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Two brokers over the real NATS in a fresh namespace, each with a transporter sync signal. */
async function brokerPair(debounceMs: number) {
  const namespace = `test-${randomUUID()}`;
  const brokerA = natsBroker(namespace, `a-${randomUUID()}`);
  const brokerB = natsBroker(namespace, `b-${randomUUID()}`);
  const a = resolveSyncSignal({ type: 'transporter', broker: brokerA, debounceMs, logger: quiet });
  const b = resolveSyncSignal({ type: 'transporter', broker: brokerB, debounceMs, logger: quiet });
  // Connected before start, as the node should: the $sync service is then in each node's first INFO.
  await Promise.all([a.connect(), b.connect()]);
  await Promise.all([brokerA.start(), brokerB.start()]);
  await Promise.all([seesSyncServiceOf(brokerA, [brokerB.nodeID]), seesSyncServiceOf(brokerB, [brokerA.nodeID])]);
  return {
    a,
    b,
    brokerA,
    brokerB,
    close: async () => {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([brokerA.stop(), brokerB.stop()]);
    },
  };
}

syncSignalContract('transporter (two brokers over NATS)', ({ debounceMs }) => brokerPair(debounceMs));

describe('transporter sync signal', () => {
  let pair: Awaited<ReturnType<typeof brokerPair>> | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  it('broadcasts as sync.<app>.<channel> through one internal $sync service per broker', async () => {
    pair = await brokerPair(0);
    const second = resolveSyncSignal({ type: 'transporter', broker: pair.brokerB, debounceMs: 0, logger: quiet });
    await second.connect();
    const events: string[] = [];
    pair.brokerB.createService({ name: 'spy', events: { 'sync.**': { handler: (ctx) => void events.push(String(ctx.eventName)) } } });
    await seesServiceSpy(pair.brokerA, pair.brokerB.nodeID);
    const viaFirst = collector<string>();
    const viaSecond = collector<string>();
    await pair.b.forApp('shop').subscribe('roles', viaFirst.handler);
    await second.forApp('shop').subscribe('roles', viaSecond.handler);
    await pair.a.forApp('shop').publish('roles', 'changed');
    await Promise.all([viaFirst.waitFor(1), viaSecond.waitFor(1)]);
    expect(events).toEqual(['sync.shop.roles']);
    expect(pair.brokerB.services.filter((s) => s.name === '$sync')).toHaveLength(1);
    await second.close();
    expect(pair.brokerB.services.filter((s) => s.name === '$sync')).toHaveLength(1);
  });

  it('tells subscribers to resync when the transporter reconnects (broadcasts are not replayed)', async () => {
    pair = await brokerPair(0);
    const resyncs: unknown[] = [];
    const shop = pair.b.forApp('shop');
    shop.onResync((event) => void resyncs.push(event));
    pair.b.onResync((event) => void resyncs.push({ ...event, view: 'main' }));
    await shop.subscribe('roles', () => {});
    await pair.brokerB.broadcastLocal('$transporter.connected', { wasReconnect: false });
    await pair.brokerB.broadcastLocal('$transporter.connected', { wasReconnect: true });
    for (;;) {
      if (resyncs.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(resyncs).toEqual([{ app: 'shop', channel: 'roles', reason: 'reconnect' }]);
  });

  it('works when connected after the broker started (visible after Moleculer’s INFO debounce)', async () => {
    const namespace = `test-${randomUUID()}`;
    const brokerA = natsBroker(namespace, `a-${randomUUID()}`);
    const brokerB = natsBroker(namespace, `b-${randomUUID()}`);
    await Promise.all([brokerA.start(), brokerB.start()]);
    const a: SyncSignal = resolveSyncSignal({ type: 'transporter', broker: brokerA, debounceMs: 0, logger: quiet });
    const b: SyncSignal = resolveSyncSignal({ type: 'transporter', broker: brokerB, debounceMs: 0, logger: quiet });
    const got = collector<string>();
    await b.subscribe('c', got.handler);
    await Promise.all([a.connect(), b.connect()]);
    try {
      await seesSyncServiceOf(brokerA, [brokerB.nodeID]);
      await a.publish('c', 'after start');
      await got.waitFor(1);
      expect(got.messages()).toEqual(['after start']);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([brokerA.stop(), brokerB.stop()]);
    }
  });
});

async function seesServiceSpy(broker: ServiceBroker, nodeID: string): Promise<void> {
  await seesSyncServiceOf(broker, [nodeID], 'spy');
}
