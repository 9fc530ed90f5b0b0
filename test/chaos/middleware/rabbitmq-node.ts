import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../shared/db/free-port';
import { listening, waitForPort } from './server-process';
import type { Middleware } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A RabbitMQ node of its own beside the machine's: its own node name, config file (the system's
 * rabbitmq.conf pins 5672), distribution port, mnesia and log folders, started with
 * `rabbitmq-server -detached` and killed -9 through its pid file (its data survives a restart).
 */
export async function startRabbitmq(): Promise<Middleware> {
  const port = await freePort();
  const distPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cb-chaos-rabbitmq-'));
  chmodSync(dir, 0o755);
  for (const sub of ['mnesia', 'log']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\nloopback_users = none\n`);
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  execFileSync('chown', ['-R', 'rabbitmq:rabbitmq', dir]);
  const pidFile = join(dir, 'pid');
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: `cbchaos${randomBytes(3).toString('hex')}@localhost`,
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_CONF_ENV_FILE: '/dev/null',
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: pidFile,
  };
  const pid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : null);
  const start = async () => {
    rmSync(pidFile, { force: true });
    const run = spawnSync('rabbitmq-server', ['-detached'], { env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`rabbitmq-server -detached failed: ${run.stderr}`);
    await waitForPort('rabbitmq', port);
  };
  const kill = async () => {
    const p = pid();
    if (p) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    while (await listening(port)) await sleep(50);
  };
  await start();
  return {
    name: 'rabbitmq',
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    start,
    kill,
    async restart() {
      await kill();
      await start();
    },
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
