import type { Redis } from 'ioredis';
import { createRedisClient } from '../redis/index.js';
import type { AppRecord, EnvironmentInfo, RegistryCache } from './types.js';

/**
 * App and environment configuration in two Redis hashes (`<prefix>apps`, `<prefix>environments`),
 * one JSON value per name. The supervisor's database stays the source of truth for apps: it rewrites
 * this cache on every change and at start.
 */
export class RedisRegistryCache implements RegistryCache {
  private readonly client: Redis;

  constructor(url: string, private readonly prefix: string) {
    this.client = createRedisClient(url, { user: 'The supervisor registry cache', maxRetriesPerRequest: 3 });
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async putApp(app: AppRecord): Promise<void> {
    await this.client.hset(`${this.prefix}apps`, app.name, JSON.stringify(app));
  }
  async deleteApp(name: string): Promise<void> {
    await this.client.hdel(`${this.prefix}apps`, name);
  }
  async apps(): Promise<AppRecord[]> {
    return Object.values(await this.client.hgetall(`${this.prefix}apps`)).map((v) => JSON.parse(v) as AppRecord);
  }
  async app(name: string): Promise<AppRecord | null> {
    const value = await this.client.hget(`${this.prefix}apps`, name);
    return value ? (JSON.parse(value) as AppRecord) : null;
  }
  async putEnvironment(env: EnvironmentInfo): Promise<void> {
    await this.client.hset(`${this.prefix}environments`, env.name, JSON.stringify(env));
  }
  async environments(): Promise<EnvironmentInfo[]> {
    return Object.values(await this.client.hgetall(`${this.prefix}environments`)).map((v) => JSON.parse(v) as EnvironmentInfo);
  }
  async close(): Promise<void> {
    this.client.disconnect();
  }
}
