import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../shared/db/free-port';
import { ServerProcess } from './server-process';
import type { Middleware } from './types';

/** A private nats-server with JetStream on a free port: `nats-server -a 127.0.0.1 -p P -js -sd D`. */
export async function startNats(): Promise<Middleware> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cb-chaos-nats-'));
  const server = new ServerProcess('nats-server', port, 'nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, '-P', join(dir, 'nats.pid')]);
  await server.start();
  return {
    name: 'nats',
    url: `nats://127.0.0.1:${port}`,
    port,
    start: () => server.start(),
    kill: () => server.kill(),
    restart: () => server.restart(),
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
