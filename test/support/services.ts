import { connect as netConnect } from 'node:net';

/** The machine's real servers that integration tests use, with their URLs from env and how to start them. */
export const SERVICES = {
  postgres: {
    url: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  redis: {
    url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    start: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  },
  rabbitmq: {
    url: process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    start: 'rabbitmq-server -detached',
  },
  nats: {
    url: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
    start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js',
  },
} as const;

export type ServiceName = keyof typeof SERVICES;

function reachable(url: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(url);
  const defaults: Record<string, number> = { 'postgres:': 5432, 'redis:': 6379, 'amqp:': 5672, 'nats:': 4222 };
  const port = Number(u.port || defaults[u.protocol]);
  return new Promise((resolve) => {
    const socket = netConnect({ host: u.hostname, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Fails the calling suite, naming the server and how to start it, when one is unreachable.
 * Integration tests call it in beforeAll: a missing server is a failure, never a silent skip.
 */
export async function requireServices(...names: ServiceName[]): Promise<void> {
  for (const name of names) {
    const { url, start } = SERVICES[name];
    if (!(await reachable(url, 2000))) {
      throw new Error(`${name} is not reachable at ${url.replace(/\/\/[^@]*@/, '//')}; start it with: ${start}`);
    }
  }
}
