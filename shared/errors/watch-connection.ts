import { OutageLog } from './outage-log.js';
import type { ConnectionEvents, OutageLogger } from './types.js';

const hosts = new Map<string, OutageLog>();

/**
 * Attaches error listeners to a client (no "Unhandled error event" ever) and reports its outages
 * through one OutageLog per dependency and node: several clients of the same Redis log one outage,
 * once at its start and once at its end. `readyEvent` is the event that means "connected again"
 * (`ready` for ioredis).
 */
export function watchConnection(client: ConnectionEvents, dependency: string, node: string, log: OutageLogger | undefined, readyEvent = 'ready'): OutageLog | null {
  if (!log) {
    client.on('error', () => undefined);
    return null;
  }
  const key = `${dependency}\u0000${node}`;
  let outage = hosts.get(key);
  if (!outage) hosts.set(key, (outage = new OutageLog(dependency, node, log)));
  const shared = outage;
  client.on('error', (error: unknown) => shared.failed(error));
  client.on(readyEvent, () => shared.ok());
  return shared;
}

/** `redis 127.0.0.1:6379` from a Redis URL (no credentials). */
export function redisDependency(url: string): string {
  try {
    const u = new URL(url);
    return `redis ${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'redis';
  }
}
