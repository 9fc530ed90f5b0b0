import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../../shared/db/free-port';
import { ServerProcess } from './server-process';
import type { Middleware } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const SENTINEL_MASTER = 'cb';

export interface SentinelRedis extends Middleware {
  /** `redis-sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/0#cb`: what every node is given as REDIS_URL. */
  readonly url: string;
  /** The port of the current primary, as the Sentinels report it. */
  primaryPort(): Promise<number>;
  /** kill -9 the current primary by its PID and wait until the Sentinels have promoted the replica. Returns the ms it took. */
  failover(): Promise<{ killedPort: number; newPort: number; ms: number }>;
  /** Starts the killed server again as a replica of the new primary and waits until it is in sync. */
  rejoin(): Promise<void>;
}

function redisArgs(port: number, dir: string, name: string, replicaOf?: number): string[] {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--pidfile', join(dir, `${name}.pid`), '--dbfilename', `${name}.rdb`];
  return replicaOf ? [...args, '--replicaof', '127.0.0.1', String(replicaOf)] : args;
}

async function ask<T>(port: number, run: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await run(client);
  } finally {
    client.disconnect();
  }
}

/**
 * One primary, one replica and three Sentinels (quorum 2), each a process we started on a free
 * loopback port: `redis-server --replicaof`, `redis-server sentinel.conf --sentinel` (no extra package).
 * Sentinel declares the primary down after `downAfterMs`; killing it by PID promotes the replica.
 */
export async function startSentinelRedis(options: { downAfterMs?: number } = {}): Promise<SentinelRedis> {
  const downAfterMs = options.downAfterMs ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'cb-ha-redis-'));
  const [p1, p2, s1, s2, s3] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()] as [number, number, number, number, number];
  const servers = new Map<number, ServerProcess>();
  servers.set(p1, new ServerProcess('redis-primary', p1, 'redis-server', redisArgs(p1, dir, 'r1')));
  servers.set(p2, new ServerProcess('redis-replica', p2, 'redis-server', redisArgs(p2, dir, 'r2', p1)));
  const sentinels = [s1, s2, s3].map((port, i) => {
    const conf = join(dir, `sentinel-${i + 1}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'protected-mode no',
        `dir ${dir}`,
        `pidfile ${join(dir, `sentinel-${i + 1}.pid`)}`,
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${p1} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${downAfterMs}`,
        `sentinel failover-timeout ${SENTINEL_MASTER} 10000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
        '',
      ].join('\n'),
    );
    return new ServerProcess(`redis-sentinel-${i + 1}`, port, 'redis-server', [conf, '--sentinel']);
  });
  let killed: number | null = null;

  const primaryPort = async (): Promise<number> => {
    for (const s of [s1, s2, s3]) {
      const addr = await ask(s, (c) => c.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER) as Promise<[string, string] | null>).catch(() => null);
      if (addr) return Number(addr[1]);
    }
    throw new Error('no Sentinel answers');
  };
  const until = async (what: string, check: () => Promise<boolean>, ms = 120_000) => {
    const giveUpAt = Date.now() + ms;
    while (!(await check().catch(() => false))) {
      if (Date.now() > giveUpAt) throw new Error(`${what} did not happen within ${ms / 1000} s`);
      await sleep(100);
    }
  };
  const inSync = async (replica: number, primaryKnown?: number) => {
    const primary = primaryKnown ?? (await primaryPort());
    const info = await ask(replica, (c) => c.info('replication'));
    const offsets = await ask(primary, (c) => c.info('replication'));
    const link = /master_link_status:up/.test(info) && new RegExp(`master_port:${primary}\\b`).test(info);
    return link && /connected_slaves:[1-9]/.test(offsets);
  };
  const knowsReplica = async () => {
    const replicas = (await ask(s1, (c) => c.call('SENTINEL', 'replicas', SENTINEL_MASTER))) as string[][];
    return replicas.length >= 1;
  };

  await servers.get(p1)!.start();
  await servers.get(p2)!.start();
  await until('the replica syncing', () => inSync(p2, p1));
  for (const s of sentinels) await s.start();
  await until('the Sentinels seeing the replica and each other', async () => {
    if (!(await knowsReplica())) return false;
    const master = (await ask(s1, (c) => c.call('SENTINEL', 'master', SENTINEL_MASTER))) as string[];
    const others = Number(master[master.indexOf('num-other-sentinels') + 1]);
    return others >= 2;
  });

  const failover = async () => {
    const started = Date.now();
    const old = await primaryPort();
    await servers.get(old)!.kill();
    killed = old;
    await until('the Sentinel failover', async () => (await primaryPort()) !== old);
    const now = await primaryPort();
    await until('the new primary answering as master', async () => /role:master/.test(await ask(now, (c) => c.info('replication'))));
    return { killedPort: old, newPort: now, ms: Date.now() - started };
  };
  const rejoin = async () => {
    if (killed === null) return;
    const port = killed;
    const primary = await primaryPort();
    servers.set(port, new ServerProcess(`redis-${port}`, port, 'redis-server', redisArgs(port, dir, `r-${port}`, primary)));
    await servers.get(port)!.start();
    killed = null;
    await until('the old primary syncing as a replica', () => inSync(port));
  };

  return {
    name: 'redis-sentinel',
    url: `redis-sentinel://127.0.0.1:${s1},127.0.0.1:${s2},127.0.0.1:${s3}/0#${SENTINEL_MASTER}`,
    port: s1,
    primaryPort,
    failover,
    rejoin,
    start: rejoin,
    kill: async () => {
      await failover();
    },
    restart: async () => {
      await failover();
      await rejoin();
    },
    async destroy() {
      for (const s of sentinels) await s.stop();
      for (const server of servers.values()) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
