import type { ServiceBroker } from 'moleculer';
import { nodeState, version } from '../runtime/index.js';
import { AppHost } from './app-host.js';
import { resolveCommandBus, resolveRegistryCache } from './resolve-adapters.js';
import { WorkerAgent } from './worker-agent.js';

/** Starts an APP_MODE=worker node's side: app host + guard, registration, heartbeat, commands. */
export async function startWorkerNode(broker: ServiceBroker): Promise<{ host: AppHost; close(): Promise<void> }> {
  const state = nodeState(broker);
  const config = state.config;
  const log = broker.getLogger('app-host');
  const environment = config.apps.environment!;
  const cache = await resolveRegistryCache(config);
  const bus = await resolveCommandBus(config, log).catch(async (err) => {
    await cache.close();
    throw err;
  });
  const host = new AppHost(state, environment.name, log, (app) => cache.app(app));
  state.setAppGuard(host.guard);
  const agent = new WorkerAgent({ host, cache, bus, environment, version, heartbeatMs: config.apps.heartbeatMs, log });
  state.addCheck('apps-registry', async () => {
    await cache.environments();
  });
  await agent.start();
  return {
    host,
    async close() {
      state.removeCheck('apps-registry');
      await agent.stop();
      state.setAppGuard(null);
      await bus.close();
      await cache.close();
    },
  };
}
