import type { AppHost } from './app-host.js';
import type { CommandBus, EnvironmentInfo, RegistryCache } from './types.js';
import type { Logger } from '../errors/index.js';

type Log = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface WorkerAgentOptions {
  readonly host: AppHost;
  readonly cache: RegistryCache;
  readonly bus: CommandBus;
  readonly environment: { readonly name: string; readonly url: string; readonly proxyUrl: string | null };
  readonly version: string;
  readonly heartbeatMs: number;
  readonly log: Log;
}

/**
 * A worker node's side of the supervisor protocol: registers its environment (a first heartbeat),
 * heartbeats every interval, keeps its app guard's registry view fresh, resumes the apps that were
 * running here before a restart, and executes the commands sent to its environment.
 */
export class WorkerAgent {
  private timers: NodeJS.Timeout[] = [];
  private stopServing: (() => Promise<void>) | null = null;

  constructor(private readonly o: WorkerAgentOptions) {}

  private info(): EnvironmentInfo {
    const { name, url, proxyUrl } = this.o.environment;
    return { name, url, proxyUrl, version: this.o.version, lastHeartbeat: Date.now(), heartbeatMs: this.o.heartbeatMs };
  }

  async heartbeat(): Promise<void> {
    await this.o.cache.putEnvironment(this.info());
  }

  private async refreshApps() {
    const apps = await this.o.cache.apps();
    this.o.host.setKnown(apps);
    return apps;
  }

  async start(): Promise<void> {
    const env = this.o.environment.name;
    await this.heartbeat();
    this.o.log.info(`environment ${env} registered (${this.o.environment.url}), heartbeat every ${this.o.heartbeatMs} ms`);
    const apps = await this.refreshApps();
    for (const app of apps) {
      if (app.environments.includes(env) && app.desired === 'running' && app.statuses[env]?.status === 'running') {
        // Runs its migrations again (a no-op when current) and opens it: a restarted worker serves again.
        await this.o.host.start(app.name, app.database).catch((err: Error) => this.o.log.error(`app ${app.name}: resuming failed: ${err.message}`));
      }
    }
    this.stopServing = await this.o.bus.serve(env, async (command) => {
      const current = (await this.refreshApps()).find((a) => a.name === command.app) ?? null;
      this.o.log.info(`environment ${env}: command ${command.id} ${command.type} ${command.app}`);
      await this.o.host.execute(command, current);
    });
    const beat = setInterval(() => void this.heartbeat().catch((err: Error) => this.o.log.warn(`heartbeat of ${env} failed: ${err.message}`)), this.o.heartbeatMs);
    const view = setInterval(() => void this.refreshApps().catch(() => undefined), Math.min(this.o.heartbeatMs, 2000));
    beat.unref();
    view.unref();
    this.timers = [beat, view];
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.stopServing?.();
    await this.o.host.stopAll();
  }
}
