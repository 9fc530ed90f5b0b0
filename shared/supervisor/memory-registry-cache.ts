import type { AppRecord, EnvironmentInfo, RegistryCache } from './types.js';

/** In-process registry cache: shared-memory mode and unit tests. */
export class MemoryRegistryCache implements RegistryCache {
  private readonly appMap = new Map<string, AppRecord>();
  private readonly envMap = new Map<string, EnvironmentInfo>();

  async putApp(app: AppRecord): Promise<void> {
    this.appMap.set(app.name, app);
  }
  async deleteApp(name: string): Promise<void> {
    this.appMap.delete(name);
  }
  async apps(): Promise<AppRecord[]> {
    return [...this.appMap.values()];
  }
  async app(name: string): Promise<AppRecord | null> {
    return this.appMap.get(name) ?? null;
  }
  async putEnvironment(env: EnvironmentInfo): Promise<void> {
    this.envMap.set(env.name, env);
  }
  async environments(): Promise<EnvironmentInfo[]> {
    return [...this.envMap.values()];
  }
  async close(): Promise<void> {}
}
