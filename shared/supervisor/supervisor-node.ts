import type { AppRegistry } from '../apps/index.js';
import { withLock } from '../lock/index.js';
import { AppHost } from './app-host.js';
import { ControlPlane } from './control-plane.js';
import { RegistryStore } from './registry-store.js';
import { resolveCommandBus, resolveRegistryCache } from './resolve-adapters.js';
import type { CommandBus, RegistryCache } from './types.js';
import type { Logger } from '../errors/index.js';

/** The environment name of the supervisor's own process in shared-memory mode. */
export const LOCAL_ENVIRONMENT = 'local';

/** What a supervisor or worker node's side needs from the node: its apps, readiness checks, logger, version. */
export interface HostNodeParts {
  readonly apps: AppRegistry;
  readonly checks: { add(name: string, check: () => Promise<void>): void; remove(name: string): void };
  readonly log: Pick<Logger, 'info' | 'warn' | 'error'> & Partial<Pick<Logger, 'debug'>>;
  readonly version: string;
}

export interface SupervisorNode {
  readonly plane: ControlPlane;
  /** The in-process app host (shared-memory mode), else null. */
  readonly host: AppHost | null;
  close(): Promise<void>;
}

/**
 * Starts the control plane of an APP_MODE=supervisor node: registry store in its schema, registry
 * cache and command bus as configured, the periodic refresh (heartbeats seen → availability, apps →
 * cache), and in shared-memory mode (APP_PROCESS_ADAPTER=local) the in-process app host serving the
 * `local` environment, resuming the apps that were running.
 */
export async function startSupervisorNode(parts: HostNodeParts, gatewayPort: () => number | null): Promise<SupervisorNode> {
  const { apps, checks, log, version } = parts;
  const { config, database, cluster } = apps.node;
  const cache: RegistryCache = await resolveRegistryCache(config);
  let bus: CommandBus;
  try {
    bus = await resolveCommandBus(config, log);
  } catch (err) {
    await cache.close();
    throw err;
  }
  const local = config.apps.process === 'local';
  // Shared-memory mode proxies to its own gateway: loopback unless it listens on one address only.
  const ownHost = ['0.0.0.0', '::', ''].includes(config.http.host) ? '127.0.0.1' : config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  const schema = config.db.schema;
  const store = new RegistryStore(() => database.fork(schema), schema);
  const refreshMs = Math.max(100, Math.min(config.apps.heartbeatMs, config.apps.graceMs || config.apps.heartbeatMs, 5000) / 2);
  const plane = new ControlPlane({
    store,
    cache,
    bus,
    lock: (key, fn) => withLock(cluster.lock, `main:${key}`, () => fn(), { ttlMs: 30_000, waitMs: config.apps.command.ackTimeoutMs + config.apps.command.timeoutMs }),
    ackTimeoutMs: config.apps.command.ackTimeoutMs,
    timeoutMs: config.apps.command.timeoutMs,
    graceMs: config.apps.graceMs,
    localEnvironment: local
      ? () => ({ name: LOCAL_ENVIRONMENT, version, url: `http://${ownHost}:${gatewayPort() ?? config.http.port}`, proxyUrl: null, lastHeartbeat: Date.now(), heartbeatMs: config.apps.heartbeatMs })
      : null,
    schemaOf: (app) => apps.schemaOf(app),
    log,
  });

  let host: AppHost | null = null;
  let stopServing: (() => Promise<void>) | null = null;
  if (local) {
    const h = new AppHost(apps, LOCAL_ENVIRONMENT, log);
    host = h;
    apps.setGuard(h.guard);
    plane.onApps((apps) => h.setKnown(apps));
    stopServing = await bus.serve(LOCAL_ENVIRONMENT, async (command) => {
      const current = await plane.app(command.app).catch(() => null);
      await h.execute(command, current);
    });
  }
  checks.add('apps-registry', async () => {
    await cache.environments();
  });
  await plane.publishAll();
  if (host) {
    for (const app of await plane.apps()) {
      if (app.desired === 'running') await host.start(app.name, app.database).catch((err: Error) => log.error(`app ${app.name}: resuming failed: ${err.message}`));
    }
  }
  const timer = setInterval(() => void plane.refresh().catch((err: Error) => log.warn(`registry refresh failed: ${err.message}`)), refreshMs);
  timer.unref();
  log.info(`supervisor control plane ready (${local ? 'shared-memory mode: apps run in this process' : 'apps run on worker environments'})`);
  return {
    plane,
    host,
    async close() {
      clearInterval(timer);
      checks.remove('apps-registry');
      await stopServing?.();
      await host?.stopAll();
      apps.setGuard(null);
      await bus.close();
      await cache.close();
    },
  };
}
