import type { ServiceBroker } from 'moleculer';
import { AppRegistry } from '../../shared/apps/index.js';
import { nodeState, type NodeServices } from '../../shared/runtime/index.js';

const registries = new WeakMap<NodeServices, AppRegistry>();

/**
 * The apps of the node `broker` runs on: one AppRegistry per started node (made from its
 * NodeServices on first use). Before the node has started this is a 503 (CB_ERR_NODE_NOT_STARTED).
 * This is where the node lifecycle (shared/runtime) meets the apps (shared/apps): only services/ join them.
 */
export function appsOf(broker: ServiceBroker): AppRegistry {
  const services = nodeState(broker).services();
  let registry = registries.get(services);
  if (!registry) {
    registry = new AppRegistry({ ...services, broadcast: (event, payload) => broker.broadcast(event, payload) }, broker.getLogger('apps'));
    registries.set(services, registry);
  }
  return registry;
}
