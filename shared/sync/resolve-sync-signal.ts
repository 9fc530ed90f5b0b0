import { cbError } from '../errors/index.js';
import { requireRedisUrl } from '../redis/index.js';
import { defaultLocalHub, LocalTransport } from './local-transport.js';
import { checkAppName, checkMs } from './names.js';
import { RedisStreamTransport } from './redis-stream-transport.js';
import { SyncNode } from './sync-node.js';
import { SyncSignalView } from './sync-signal-view.js';
import { TransporterTransport } from './transporter-transport.js';
import type { SyncLogger, SyncSignal, SyncSignalOptions, SyncTransport } from './types.js';

const consoleLogger: SyncLogger = {
  warn: (message, err) => console.warn(`[sync] ${message}`, err ?? ''),
};

/**
 * Builds the sync signal named by `options.type`: `local`/`memory` (in-process), `transporter`
 * (Moleculer broadcasts over the broker's transporter) or `redis` (Redis Streams, replay after a
 * reconnect). Returns the root view of `options.app` (default `main`); connect() before publishing.
 */
export function resolveSyncSignal(options: SyncSignalOptions): SyncSignal {
  const app = checkAppName(options?.app ?? 'main');
  const node = new SyncNode(buildTransport(options), {
    nodeId: options.nodeId,
    debounceMs: checkMs(options.debounceMs, 'debounceMs', 100),
    logger: options.logger ?? consoleLogger,
  });
  return new SyncSignalView(node, app, true);
}

function buildTransport(options: SyncSignalOptions): SyncTransport {
  switch (options?.type) {
    case 'local':
    case 'memory':
      return new LocalTransport(options.hub ?? defaultLocalHub());
    case 'transporter':
      if (!options.broker || typeof options.broker.broadcast !== 'function') {
        throw cbError('CB_ERR_CONFIG_INVALID', 'The transporter sync signal needs the node’s Moleculer ServiceBroker (option broker)');
      }
      return new TransporterTransport(options);
    case 'redis':
      requireRedisUrl(options.url, 'The Redis sync signal');
      return new RedisStreamTransport(options);
    default:
      throw cbError(
        'CB_ERR_CONFIG_INVALID',
        `Unknown sync signal adapter ${JSON.stringify((options as { type?: unknown })?.type)} (expected local, memory, transporter or redis)`,
      );
  }
}
