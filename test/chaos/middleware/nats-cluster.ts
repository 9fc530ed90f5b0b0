import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../shared/db/free-port';
import { ServerProcess } from './server-process';
import type { Middleware } from './types';

export interface NatsCluster extends Middleware {
  /** `nats://127.0.0.1:A,nats://127.0.0.1:B,nats://127.0.0.1:C`: what every node is given as TRANSPORTER. */
  readonly url: string;
  /** Client ports of the three servers, in URL order. */
  readonly ports: readonly number[];
  /** kill -9 the server listening on `port` (a client port), by its PID. */
  killServer(port: number): Promise<void>;
  /** Starts a killed server again (same ports, same routes). */
  startServer(port: number): Promise<void>;
}

/**
 * Three nats-server processes on free loopback ports forming one cluster through routes
 * (`--cluster nats://127.0.0.1:R --routes …`). `kill()` kills the first server still running.
 */
export async function startNatsCluster(): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-ha-nats-'));
  const ports: number[] = [];
  const routes: number[] = [];
  for (let i = 0; i < 3; i++) {
    ports.push(await freePort());
    routes.push(await freePort());
  }
  const servers = new Map<number, ServerProcess>();
  ports.forEach((port, i) => {
    const others = routes.filter((_, j) => j !== i).map((r) => `nats://127.0.0.1:${r}`).join(',');
    const args = ['-a', '127.0.0.1', '-p', String(port), '-n', `cb${i + 1}`, '--cluster_name', 'cb', '--cluster', `nats://127.0.0.1:${routes[i]}`, '--routes', others, '-P', join(dir, `nats-${i + 1}.pid`)];
    servers.set(port, new ServerProcess(`nats-server-${i + 1}`, port, 'nats-server', args));
  });
  await Promise.all([...servers.values()].map((s) => s.start()));
  const down = new Set<number>();
  const killServer = async (port: number) => {
    await servers.get(port)!.kill();
    down.add(port);
  };
  const startServer = async (port: number) => {
    await servers.get(port)!.start();
    down.delete(port);
  };
  return {
    name: 'nats-cluster',
    url: ports.map((p) => `nats://127.0.0.1:${p}`).join(','),
    port: ports[0]!,
    ports,
    killServer,
    startServer,
    kill: async () => {
      const port = ports.find((p) => !down.has(p));
      if (port !== undefined) await killServer(port);
    },
    start: async () => {
      for (const port of [...down]) await startServer(port);
    },
    restart: async () => {
      const port = ports.find((p) => !down.has(p));
      if (port === undefined) return;
      await killServer(port);
      await startServer(port);
    },
    async destroy() {
      for (const server of servers.values()) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
