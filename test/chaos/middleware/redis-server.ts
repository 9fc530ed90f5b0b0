import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../shared/db/free-port';
import { ServerProcess } from './server-process';
import type { Middleware } from './types';

export interface RedisOptions {
  /**
   * true: append-only file, so a restart keeps the data (`redis-restart`); false: no persistence, a
   * restart comes back empty (`redis-wipe`, also what a failover to a lagging replica looks like).
   */
  readonly persist: boolean;
}

/** A private redis-server on a free port: `redis-server --port P --save '' --appendonly yes|no --dir D`. */
export async function startRedis(options: RedisOptions): Promise<Middleware & { flushAll(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cb-chaos-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', options.persist ? 'yes' : 'no', '--dir', dir, '--pidfile', join(dir, 'redis.pid')];
  const server = new ServerProcess('redis-server', port, 'redis-server', args);
  await server.start();
  const url = `redis://127.0.0.1:${port}`;
  return {
    name: 'redis',
    url,
    port,
    start: () => server.start(),
    kill: () => server.kill(),
    restart: () => server.restart(),
    async flushAll() {
      const { Redis } = await import('ioredis');
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
