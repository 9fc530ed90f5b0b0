import { cbError } from '../errors/index.js';
import type { HostNodeParts } from './supervisor-node.js';
import { AppHost } from './app-host.js';
import { resolveCommandBus, resolveRegistryCache } from './resolve-adapters.js';
import { WorkerAgent } from './worker-agent.js';

/** Starts an APP_MODE=worker node's side: app host + guard, registration, heartbeat, commands. */
export async function startWorkerNode(parts: HostNodeParts): Promise<{ host: AppHost; close(): Promise<void> }> {
  const { apps, checks, log, version } = parts;
  const config = apps.node.config;
  const environment = config.apps.environment;
  if (!environment) throw cbError('CB_ERR_CONFIG_INVALID', 'APP_MODE=worker needs ENVIRONMENT_NAME');
  const cache = await resolveRegistryCache(config);
  const bus = await resolveCommandBus(config, log).catch(async (err) => {
    await cache.close();
    throw err;
  });
  const host = new AppHost(apps, environment.name, log, (app) => cache.app(app));
  apps.setGuard(host.guard);
  const agent = new WorkerAgent({ host, cache, bus, environment, version, heartbeatMs: config.apps.heartbeatMs, log });
  checks.add('apps-registry', async () => {
    await cache.environments();
  });
  await agent.start();
  return {
    host,
    async close() {
      checks.remove('apps-registry');
      await agent.stop();
      apps.setGuard(null);
      await bus.close();
      await cache.close();
    },
  };
}
